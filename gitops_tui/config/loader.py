"""Loading Argo CD `Application` definitions from files and directories.

Definitions are loaded from files and directories of YAML/JSON. A broken document never
stops the others: every problem becomes a message that names the file, the document, the
app and the field, and the apps that parse are returned beside the errors.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gitops_tui.config.application import APPLICATION_API_VERSION, ApplicationParser, DefinitionError
from gitops_tui.config.yamlload import Loader, yaml_problem
from gitops_tui.model import AppSpec, Origin

DEFINITION_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class LoadResult:
    apps: tuple[AppSpec, ...]
    errors: tuple[str, ...]
    warnings: tuple[str, ...]

    def app(self, name: str) -> AppSpec | None:
        return next((a for a in self.apps if a.name == name), None)


def load_applications(paths: Iterable[Path]) -> LoadResult:
    apps: dict[str, AppSpec] = {}
    errors: list[str] = []
    warnings: list[str] = []
    unsupported: dict[str, list[str]] = {}
    for file in _definition_files(paths, errors):
        for index, doc, problem in _documents(file):
            origin = Origin(str(file), index)
            if problem:
                errors.append(f"{origin}: {problem}")
                continue
            if not _is_application(doc):
                warnings.append(f"{origin}: skipped, not an Argo CD Application ({_describe(doc)})")
                continue
            try:
                parsed = ApplicationParser(doc, origin).parse()
            except DefinitionError as exc:
                errors.append(str(exc))
                continue
            for field in parsed.unsupported:
                unsupported.setdefault(field, []).append(parsed.app.name)
            if parsed.app.name in apps:
                first = apps[parsed.app.name].origin
                errors.append(f"{origin} app '{parsed.app.name}': the name is already used by {first}")
                continue
            apps[parsed.app.name] = parsed.app
    # Reported once per field, naming the apps, so a hundred apps do not print a hundred lines.
    for field, names in sorted(unsupported.items()):
        warnings.append(f"{field} is not acted on yet (apps: {', '.join(sorted(set(names)))})")
    return LoadResult(tuple(sorted(apps.values(), key=lambda a: a.name)), tuple(errors), tuple(warnings))


def _definition_files(paths: Iterable[Path], errors: list[str]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in DEFINITION_SUFFIXES)
            yield from found
        elif path.is_file():
            yield path
        else:
            errors.append(f"{path}: no such file or directory (given as an apps path)")


def _documents(file: Path) -> Iterator[tuple[int, Any, str]]:
    """(1-based document number, document, problem) for each document in a file."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        yield 1, None, f"cannot read: {exc}"
        return
    if file.suffix.lower() == ".json":
        try:
            yield 1, json.loads(text), ""
        except json.JSONDecodeError as exc:
            yield 1, None, f"line {exc.lineno}: invalid JSON: {exc.msg}"
        return
    index = 0
    try:
        for index, doc in enumerate(yaml.load_all(text, Loader=Loader), start=1):
            if doc is not None:
                yield index, doc, ""
    except yaml.YAMLError as exc:
        yield index + 1, None, yaml_problem(exc)


def _is_application(doc: Any) -> bool:
    return (
        isinstance(doc, Mapping)
        and doc.get("kind") == "Application"
        and str(doc.get("apiVersion", "")).startswith("argoproj.io/")
    )


def _describe(doc: Any) -> str:
    if not isinstance(doc, Mapping):
        return f"a {type(doc).__name__}"
    kind = doc.get("kind") or "no kind"
    api = doc.get("apiVersion") or "no apiVersion"
    if kind == "Application":
        return f"apiVersion {api}, expected {APPLICATION_API_VERSION}"
    return f"{kind}, {api}"
