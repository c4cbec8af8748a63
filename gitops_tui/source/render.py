"""Desired objects of an app at a commit: plain directories, Kustomize, Helm.

`Renderer.render(app, sha)` reads the mirror the pool holds for the app's repository (it
never fetches) and returns the objects in a stable order:

- directory apps: by file path (repository-relative, plain string order), then by position in
  the file (documents in order, `List` items in order);
- Kustomize and Helm apps: in the order the tool prints them.

Results are cached per (repository, commit, path, source options, release name, namespace),
so the same revision renders once and a cached result is returned without touching git. The
returned dicts are shared with the cache: treat them as read-only.
"""

from __future__ import annotations

import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_tui.model import AppSpec, ResourceKey
from gitops_tui.source.directory import render_directory
from gitops_tui.source.errors import GitError, RenderError
from gitops_tui.source.git import MirrorPool, RepoMirror, TreeEntry, mirror_key
from gitops_tui.source.helm import helm_binary, helm_command
from gitops_tui.source.kustomize import KUSTOMIZATION_FILES, apply_options, kustomize_invocation
from gitops_tui.source.paths import PathEscapes, normalize_repo_path
from gitops_tui.source.tools import Toolbox, ToolFailure
from gitops_tui.source.yamldocs import ManifestError, SourcedObject, parse_manifests

__all__ = ["RenderError", "RenderResult", "Renderer"]

_FULL_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


@dataclass(frozen=True)
class RenderResult:
    objects: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...]
    commit: str
    source_type: str = "directory"
    """"directory", "kustomize" or "helm": how the objects were made."""


def detect_source_type(app: AppSpec, top_level: list[TreeEntry]) -> str:
    """Explicit options win; otherwise the files decide, Kustomize before Helm (as Argo CD)."""
    source = app.source
    if source.helm is not None:
        return "helm"
    if source.kustomize is not None:
        return "kustomize"
    if source.directory is not None:
        return "directory"
    names = {entry.name for entry in top_level if entry.kind != "dir"}
    if names.intersection(KUSTOMIZATION_FILES):
        return "kustomize"
    if "Chart.yaml" in names:
        return "helm"
    return "directory"


def _release_name(app: AppSpec) -> str:
    return (app.source.helm.release_name if app.source.helm else "") or app.name


def _cache_key(app: AppSpec, sha: str) -> tuple[str, ...]:
    source = app.source
    # repr() of the frozen option types is deterministic; equal options give equal keys.
    return (
        mirror_key(source.repo_url),
        sha,
        source.path.strip(),
        repr(source.directory),
        repr(source.kustomize),
        repr(source.helm),
        _release_name(app),
        app.destination.namespace,
    )


def _check_duplicates(objects: list[SourcedObject]) -> None:
    seen: dict[ResourceKey, str] = {}
    for item in objects:
        key = ResourceKey.of(item.obj)
        if not key.name:
            continue  # generateName objects get their names from the server
        first = seen.get(key)
        if first is not None:
            where = f"twice in {first}" if first == item.file else f"in {first} and in {item.file}"
            raise ManifestError(item.file, f"{key} is defined {where}")
        seen[key] = item.file


class Renderer:
    """Renders apps; thread-safe, and each distinct render runs once even when asked concurrently.

    `binaries_path` is a PATH-like string where kustomize, kubectl and helm are looked up
    (None: the process PATH).
    """

    def __init__(
        self,
        pool: MirrorPool,
        timeout: float = 60.0,
        max_output_bytes: int = 64 * 2**20,
        *,
        binaries_path: str | None = None,
        cache_size: int = 256,
    ) -> None:
        self.pool = pool
        self.timeout = timeout
        self.max_output_bytes = max_output_bytes
        self.tools = Toolbox(binaries_path)
        self.cache_size = cache_size
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, ...], RenderResult] = OrderedDict()
        self._in_progress: dict[tuple[str, ...], threading.Lock] = {}

    def render(self, app: AppSpec, sha: str) -> RenderResult:
        """The app's objects at commit `sha` (already fetched into the mirror).

        Raises RenderError (only) for anything that stops this app from rendering; the message
        names the app, the file and, when the parser gives one, the line. `sha` should be a full
        commit SHA; anything else (a branch, a short SHA) is resolved in the mirror first, so a
        moving name can never be served from the cache.
        """
        if not _FULL_SHA.fullmatch(sha):
            try:
                sha = self.pool.get(app.source.repo_url).resolve(sha).sha
            except GitError as exc:
                raise RenderError(app.name, exc.message) from exc
        key = _cache_key(app, sha)
        with self._lock:
            if (hit := self._cached(key)) is not None:
                return hit
            key_lock = self._in_progress.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if (hit := self._cached(key)) is not None:
                    return hit
            try:
                result = self._render_uncached(app, sha)
            finally:
                with self._lock:
                    self._in_progress.pop(key, None)
            with self._lock:
                self._cache[key] = result
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return result

    def _cached(self, key: tuple[str, ...]) -> RenderResult | None:
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
        return hit

    def _render_uncached(self, app: AppSpec, sha: str) -> RenderResult:
        deadline = time.monotonic() + self.timeout
        try:
            path = normalize_repo_path(app.source.path)
            mirror = self.pool.get(app.source.repo_url)
            top_level = mirror.list_files(sha, path, recursive=False)
            source_type = detect_source_type(app, top_level)
            warnings: list[str] = []
            if source_type == "directory":
                objects = render_directory(
                    mirror, sha, path, app.source.directory, top_level, self.max_output_bytes, warnings
                )
            elif source_type == "kustomize":
                objects = self._run_tool(mirror, sha, path, deadline, self._kustomize_args(app, path))
            else:
                helm = helm_binary(self.tools, path)  # before exporting: fail fast when helm is missing
                objects = self._run_tool(mirror, sha, path, deadline, self._helm_args(app, path, helm))
            _check_duplicates(objects)
        except PathEscapes as exc:
            raise RenderError(app.name, str(exc)) from None
        except ManifestError as exc:
            raise RenderError(app.name, exc.problem, file=exc.file, line=exc.line) from None
        except GitError as exc:
            raise RenderError(app.name, exc.message) from exc
        except ToolFailure as exc:
            raise RenderError(app.name, str(exc)) from None
        except OSError as exc:  # the scratch directory: a full disk, a vanished /tmp
            raise RenderError(app.name, f"cannot prepare the render: {exc}") from exc
        return RenderResult(tuple(item.obj for item in objects), tuple(warnings), sha, source_type)

    def _kustomize_args(self, app: AppSpec, path: str) -> Callable[[Path, Path], list[str]]:
        invocation = kustomize_invocation(self.tools)  # before exporting: fail fast without a binary

        def build(tree: Path, scratch: Path) -> list[str]:
            app_dir = tree / path if path else tree
            if app.source.kustomize is not None:
                apply_options(app_dir, app.source.kustomize)
            return [*invocation, str(app_dir)]

        return build

    def _helm_args(self, app: AppSpec, path: str, helm: str) -> Callable[[Path, Path], list[str]]:
        def build(tree: Path, scratch: Path) -> list[str]:
            return helm_command(
                helm,
                release=_release_name(app),
                namespace=app.destination.namespace,
                chart_path=path,
                tree=tree,
                scratch=scratch,
                source=app.source.helm,
            )

        return build

    def _run_tool(
        self,
        mirror: RepoMirror,
        sha: str,
        path: str,
        deadline: float,
        command: Callable[[Path, Path], list[str]],
    ) -> list[SourcedObject]:
        with tempfile.TemporaryDirectory(prefix="gitops-tui-render-") as scratch_dir:
            scratch = Path(scratch_dir)
            tree = scratch / "tree"
            tree.mkdir()
            mirror.export(sha, tree, timeout=max(deadline - time.monotonic(), 0.001))
            args = command(tree, scratch)
            cwd = tree / path if path else tree
            output = self.tools.run(
                args, cwd=cwd, timeout=deadline - time.monotonic(), max_output_bytes=self.max_output_bytes
            )
        label = f"{Path(args[0]).name} output for '{path or '.'}'"
        return parse_manifests(output, label, json_file=False)
