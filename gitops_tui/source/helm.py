"""Rendering a Helm chart with `helm template`."""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path

from gitops_tui.model import HelmSource
from gitops_tui.source.paths import PathEscapes, normalize_repo_path
from gitops_tui.source.tools import Toolbox, ToolFailure

_RELEASE_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,51}[a-z0-9])?")


def helm_binary(tools: Toolbox, chart_path: str) -> str:
    helm = tools.which("helm")
    if helm is None:
        raise ToolFailure(
            f"the Helm chart at '{chart_path or '.'}' needs the helm binary, which was not found on"
            f" {tools.describe_search_path()}: install Helm 3 and put it on PATH, then refresh"
        )
    return helm


def helm_command(
    helm: str,
    *,
    release: str,
    namespace: str,
    chart_path: str,
    tree: Path,
    scratch: Path,
    source: HelmSource | None,
) -> list[str]:
    """`helm template` for the chart at repository path `chart_path`, exported under `tree`.

    Value files are relative to the chart (and must stay inside the repository); inline values
    and valuesObject go through files in `scratch`. Precedence follows Argo CD: value files,
    then valuesObject (or, without it, inline values), then parameters.
    """
    source = source or HelmSource()
    if not _RELEASE_NAME.fullmatch(release):
        raise ToolFailure(f"'{release}' is not a valid Helm release name (lower-case letters, digits, '-', '.')")
    args = [helm, "template", release, str(tree / chart_path) if chart_path else str(tree), "--include-crds"]
    if namespace:
        args.append(f"--namespace={namespace}")
    for value_file in source.value_files:
        args.append(f"--values={_value_file(value_file, chart_path, tree)}")
    if source.values_object is not None:
        inline = scratch / "values-object.json"
        inline.write_text(json.dumps(source.values_object))
        args.append(f"--values={inline}")
    elif source.values.strip():
        inline = scratch / "values-inline.yaml"
        inline.write_text(source.values)
        args.append(f"--values={inline}")
    for parameter in source.parameters:
        flag = "--set-string" if parameter.force_string else "--set"
        args.append(f"{flag}={parameter.name}={parameter.value}")
    return args


def _value_file(value_file: str, chart_path: str, tree: Path) -> str:
    if re.match(r"^[a-z][a-z0-9+.-]*://", value_file):
        return value_file  # helm fetches remote value files itself, as in Argo CD
    try:
        in_repo = normalize_repo_path(posixpath.join(chart_path, value_file))
    except PathEscapes:
        raise ToolFailure(f"value file '{value_file}' leaves the repository") from None
    local = tree / in_repo
    if not local.is_file():
        raise ToolFailure(f"value file '{value_file}' does not exist in the chart's repository")
    return str(local)
