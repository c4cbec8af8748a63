"""`gitops-tui apps` and the CLI's manners: exit codes, outputs, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gitops_tui import __version__
from gitops_tui.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "apps"


def test_examples_list_as_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apps", "--apps", str(EXAMPLES)]) == 0
    out, err = capsys.readouterr()
    header, *rows = out.splitlines()
    assert header.split()[:3] == ["NAME", "PROJECT", "REPO"]
    assert [r.split()[0] for r in rows] == ["guestbook", "helm-guestbook", "kustomize-guestbook"]
    assert "auto (prune, self-heal)" in rows[1]
    assert err == ""


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_machine_readable_outputs(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apps", "--apps", str(EXAMPLES), "-o", fmt]) == 0
    out = capsys.readouterr().out
    data = json.loads(out) if fmt == "json" else yaml.safe_load(out)
    assert [a["name"] for a in data["apps"]] == ["guestbook", "helm-guestbook", "kustomize-guestbook"]
    assert data["apps"][0]["destination"] == {"server": "https://kubernetes.default.svc", "namespace": "guestbook"}
    assert data["errors"] == []


def test_definition_errors_exit_2_and_are_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.yaml").write_text("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x}\n")
    assert main(["apps", "--apps", str(EXAMPLES), "--apps", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert "guestbook" in out  # the good apps are still listed
    assert f"error: {tmp_path / 'bad.yaml'}#1 app 'x': spec is required" in err


def test_unknown_app_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifests", "nope", "--apps", str(EXAMPLES)]) == 2
    err = capsys.readouterr().err
    assert "error: no app named 'nope' (apps: guestbook, helm-guestbook, kustomize-guestbook)" in err


def test_no_definitions_anywhere_says_where_to_put_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITOPS_TUI_APPS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty"))
    assert main(["apps"]) == 2
    assert "no Application definitions: pass --apps PATH" in capsys.readouterr().err


def test_console_script_version_and_help() -> None:
    exe = Path(sys.executable).with_name("gitops-tui")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"gitops-tui {__version__}"
    for command in ("apps", "manifests", "demo"):
        helped = subprocess.run([exe, command, "--help"], capture_output=True, text=True, check=True)
        assert "usage: gitops-tui " + command in helped.stdout
