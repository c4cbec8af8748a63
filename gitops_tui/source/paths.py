"""Paths inside a repository: normalising app paths and resolving symlinks without a checkout.

Everything here is lexical over the repository's own tree (a mapping of symlink paths to
their targets), so a check never depends on what happens to exist on the local disk.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

_MAX_LINK_HOPS = 40  # the same bound the Linux kernel uses for ELOOP


class PathEscapes(ValueError):
    """A path (or a symlink's target) points outside the repository."""


def normalize_repo_path(path: str) -> str:
    """`"./apps//web/"` -> `"apps/web"`; the repository root is `""`.

    Absolute paths and paths that climb out of the repository raise PathEscapes.
    """
    raw = (path or "").strip()
    if raw.startswith("/") or raw.startswith("\\") or (len(raw) > 1 and raw[1] == ":"):
        raise PathEscapes(f"path '{path}' is absolute; app paths are relative to the repository root")
    normalized = posixpath.normpath(raw or ".")
    if normalized == ".." or normalized.startswith("../"):
        raise PathEscapes(f"path '{path}' leaves the repository")
    return "" if normalized == "." else normalized


def join_repo_path(base: str, name: str) -> str:
    return f"{base}/{name}" if base else name


def relative_to(path: str, base: str) -> str:
    """`relative_to("apps/web/a.yaml", "apps/web")` -> `"a.yaml"`; `path` must be under `base`."""
    return path[len(base) + 1 :] if base else path


def resolve_in_tree(path: str, symlinks: Mapping[str, str]) -> str:
    """Follow every symlink on `path` (intermediate directories included) like realpath would.

    `symlinks` maps repository paths of symlinks to their raw targets. Returns the resolved
    repository path, `""` for the root. Raises PathEscapes when any step leaves the repository
    (an absolute target, or `..` above the root) or when links loop.
    """
    pending = [part for part in path.split("/") if part]
    resolved: list[str] = []
    hops = 0
    while pending:
        part = pending.pop(0)
        if part == ".":
            continue
        if part == "..":
            if not resolved:
                raise PathEscapes(f"'{path}' leads outside the repository")
            resolved.pop()
            continue
        resolved.append(part)
        current = "/".join(resolved)
        target = symlinks.get(current)
        if target is None:
            continue
        hops += 1
        if hops > _MAX_LINK_HOPS:
            raise PathEscapes(f"'{path}' has too many levels of symbolic links")
        if target.startswith("/"):
            raise PathEscapes(f"symlink '{current}' points to the absolute path '{target}'")
        resolved.pop()
        pending = [p for p in target.split("/") if p] + pending
    return "/".join(resolved)


def escaping_symlinks(symlinks: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every symlink whose target leaves the repository, as `(link, target)`, sorted by link."""
    bad = []
    for link in sorted(symlinks):
        try:
            resolve_in_tree(link, symlinks)
        except PathEscapes:
            bad.append((link, symlinks[link]))
    return bad
