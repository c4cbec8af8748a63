"""Which consoles a command asks (cli/console_address.py): its own address, and the console on the context
it would use under the other spelling, guessed from the kubeconfig's `current-context:` with the standard
library. The guess agrees with the real parser where it guesses at all; where unsure it guesses nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_tui.cli.console_address import address_of, addresses_to_ask, current_context_guess
from gitops_tui.cluster.kubeconfig import load_kubeconfig

BODY = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"


@pytest.mark.parametrize(
    ("line", "guess"),
    [
        ("current-context: prod", "prod"),
        ("current-context:   prod-eu-1   # the one we use", "prod-eu-1"),
        ("current-context: 'arn:aws:eks:eu-west-1:1:cluster/shop'", "arn:aws:eks:eu-west-1:1:cluster/shop"),
        ('current-context: "gke_project_zone_name"', "gke_project_zone_name"),
        ("current-context: kind-kind\r", "kind-kind"),
    ],
)
def test_a_plain_current_context_is_guessed_as_the_parser_reads_it(tmp_path: Path, line: str, guess: str) -> None:
    path = tmp_path / "config"
    path.write_text(BODY + line + "\n")
    assert current_context_guess([str(path)]) == guess == load_kubeconfig(path).current_context


@pytest.mark.parametrize(
    "text",
    [
        BODY,  # none set
        BODY + "current-context: ''\n",
        BODY + 'current-context: "a\\u0062"\n',  # an escape: the parser's to read
        BODY + "current-context: prod\ncurrent-context: dev\n",
        BODY + "current-context: {a: b}\n",
    ],
)
def test_no_guess_where_unsure_or_unset(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config"
    path.write_text(text)
    assert current_context_guess([str(path)]) is None


def test_the_first_file_that_sets_one_wins_and_json_is_read_too(tmp_path: Path) -> None:
    unset, first, second = tmp_path / "unset", tmp_path / "first.json", tmp_path / "second"
    unset.write_text(BODY)
    first.write_text(json.dumps({"apiVersion": "v1", "kind": "Config", "current-context": "from-json"}, indent=2))
    second.write_text(BODY + "current-context: later\n")
    files = [str(unset), str(first), str(second)]
    assert current_context_guess(files) == "from-json"
    assert current_context_guess([str(tmp_path / "missing"), *files]) is None  # unreadable: no guess


def test_the_other_spelling_of_the_same_context_is_asked_second(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(BODY + "current-context: prod\n")
    apps = [str(tmp_path / "apps.yaml")]
    without = addresses_to_ask(apps, str(kubeconfig))
    assert without == [address_of(apps, str(kubeconfig)), address_of(apps, str(kubeconfig), "prod")]
    with_context = addresses_to_ask(apps, str(kubeconfig), "dev")
    assert with_context == [address_of(apps, str(kubeconfig), "dev"), address_of(apps, str(kubeconfig))]
    kubeconfig.write_text(BODY)
    assert addresses_to_ask(apps, str(kubeconfig)) == [address_of(apps, str(kubeconfig))]
