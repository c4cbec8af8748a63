"""Rendering a Kustomize directory with `kustomize build` or `kubectl kustomize`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gitops_tui.model import KustomizeSource
from gitops_tui.source.tools import Toolbox, ToolFailure

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def kustomize_invocation(tools: Toolbox) -> list[str]:
    """The command that builds a kustomization, without its directory argument.

    Prefers a standalone kustomize (usually newer) and falls back to kubectl's built-in one.
    """
    if kustomize := tools.which("kustomize"):
        return [kustomize, "build"]
    if kubectl := tools.which("kubectl"):
        return [kubectl, "kustomize"]
    raise ToolFailure(
        f"neither kustomize nor kubectl was found on {tools.describe_search_path()}: install kustomize"
        " (or kubectl, which has it built in) and put it on PATH to render Kustomize apps"
    )


def parse_image(spec: str) -> dict[str, str]:
    """`kustomize edit set image` syntax: `name=newName:tag`, `name:tag`, `name@digest`."""
    name, sep, replacement = spec.partition("=")
    target = replacement if sep else spec
    entry: dict[str, str] = {}
    image, at, digest = target.partition("@")
    if at:
        entry["digest"] = digest
    repo, colon, tag = image.rpartition(":")
    if colon and "/" not in tag:
        image = repo
        entry["newTag"] = tag
    if sep:
        entry["newName"] = image
        entry["name"] = name
    else:
        entry["name"] = image
    return entry


def apply_options(app_dir: Path, options: KustomizeSource) -> None:
    """Write the app's kustomize options into its (exported, temporary) kustomization file.

    The same effect as Argo CD's `kustomize edit set ...` calls: prefix, suffix and namespace
    replace what the file says; labels, annotations and images are merged, the app's winning.
    """
    path = next((app_dir / name for name in KUSTOMIZATION_FILES if (app_dir / name).is_file()), None)
    if path is None:
        return
    changes: dict[str, Any] = {}
    for field, value in (
        ("namePrefix", options.name_prefix),
        ("nameSuffix", options.name_suffix),
        ("namespace", options.namespace),
    ):
        if value:
            changes[field] = value
    if not (changes or options.common_labels or options.common_annotations or options.images):
        return
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ToolFailure(f"{path.name} is not valid YAML: {exc}") from None
    if not isinstance(document, dict):
        raise ToolFailure(f"{path.name} is not a mapping")
    document.update(changes)
    for field, extra in (("commonLabels", options.common_labels), ("commonAnnotations", options.common_annotations)):
        if extra:
            document[field] = {**(document.get(field) or {}), **extra}
    if options.images:
        images = {image.get("name"): image for image in document.get("images") or [] if isinstance(image, dict)}
        for spec in options.images:
            entry = parse_image(spec)
            images[entry["name"]] = entry
        document["images"] = list(images.values())
    path.write_text(yaml.safe_dump(document, sort_keys=False))
