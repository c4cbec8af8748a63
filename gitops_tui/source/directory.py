"""Directory apps: the `.yaml`, `.yml` and `.json` files under the app path, as Argo CD picks them."""

from __future__ import annotations

from gitops_tui.model import DirectorySource
from gitops_tui.source.git import RepoMirror, TreeEntry
from gitops_tui.source.globs import glob_match
from gitops_tui.source.paths import PathEscapes, relative_to, resolve_in_tree
from gitops_tui.source.yamldocs import ManifestError, SourcedObject, parse_manifests

# Case-sensitive, as in Argo CD.
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def _selected(entries: list[TreeEntry], path: str, options: DirectorySource) -> list[TreeEntry]:
    chosen = []
    for entry in entries:
        if entry.kind not in ("file", "symlink") or not entry.name.endswith(MANIFEST_SUFFIXES):
            continue
        rel = relative_to(entry.path, path)
        try:
            if options.exclude and glob_match(options.exclude, rel):
                continue
            if options.include and not glob_match(options.include, rel):
                continue
        except ValueError as exc:
            raise ManifestError(path or ".", f"invalid include/exclude pattern: {exc}") from None
        chosen.append(entry)
    return sorted(chosen, key=lambda e: e.path)


def _follow_symlinks(
    mirror: RepoMirror, sha: str, listing: list[TreeEntry], chosen: list[TreeEntry]
) -> list[TreeEntry]:
    """Refuse symlinks that leave the repository; replace chosen symlinks by the files they name."""
    whole_tree = mirror.list_files(sha, ".", recursive=True)
    links = mirror.symlink_targets(whole_tree)
    by_path = {entry.path: entry for entry in whole_tree}
    for entry in listing:
        if entry.is_symlink:
            try:
                resolve_in_tree(entry.path, links)
            except PathEscapes:
                raise ManifestError(
                    entry.path, f"symlink to '{links.get(entry.path, '?')}' points outside the repository"
                ) from None
    followed = []
    for entry in chosen:
        if not entry.is_symlink:
            followed.append(entry)
            continue
        resolved = resolve_in_tree(entry.path, links)
        target = by_path.get(resolved)
        if target is None or target.kind != "file":
            if target is None and not any(p.startswith(f"{resolved}/") for p in by_path):
                raise ManifestError(entry.path, f"symlink to '{links[entry.path]}' points to nothing")
            continue  # a link to a directory is not a manifest; Argo CD skips it too
        followed.append(TreeEntry(entry.path, target.mode, target.sha, target.size))
    return followed


def render_directory(
    mirror: RepoMirror,
    sha: str,
    path: str,
    options: DirectorySource | None,
    top_level: list[TreeEntry],
    max_bytes: int,
    warnings: list[str],
) -> list[SourcedObject]:
    """The objects of a directory app, ordered by file path then position in the file."""
    options = options or DirectorySource()
    listing = mirror.list_files(sha, path, recursive=True) if options.recurse else top_level
    chosen = _selected(listing, path, options)
    if any(entry.is_symlink for entry in listing):
        chosen = _follow_symlinks(mirror, sha, listing, chosen)
    if not chosen:
        warnings.append(f"no .yaml, .yml or .json files in '{path or '.'}'")
    skipped = sorted(e.path for e in listing if e.name.endswith((".jsonnet", ".libsonnet")))
    if skipped:
        warnings.append(f"Jsonnet is not supported yet; not rendered: {', '.join(skipped)}")
    total = sum(entry.size or 0 for entry in chosen)
    if total > max_bytes:
        raise ManifestError(path or ".", f"manifests total {total} bytes, over the {max_bytes}-byte limit")
    objects: list[SourcedObject] = []
    for entry, data in zip(chosen, mirror.read_blobs([e.sha for e in chosen]), strict=True):
        objects.extend(parse_manifests(data, entry.path))
    return objects
