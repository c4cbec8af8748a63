"""Entries of a Git tree as `git ls-tree --long -z` reports them."""

from __future__ import annotations

from dataclasses import dataclass

_SYMLINK_MODE = 0o120000
_SUBMODULE_MODE = 0o160000


@dataclass(frozen=True)
class TreeEntry:
    path: str
    """Relative to the repository root, with forward slashes."""
    mode: int
    """Git's mode: 0o100644 / 0o100755 files, 0o120000 symlinks, 0o040000 directories."""
    sha: str
    size: int | None
    """Bytes of the blob; None for directories and submodules."""

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]

    @property
    def kind(self) -> str:
        """ "file", "symlink", "dir" or "submodule"."""
        if self.mode == _SYMLINK_MODE:
            return "symlink"
        if self.mode == _SUBMODULE_MODE:
            return "submodule"
        if self.mode & 0o170000 == 0o040000:
            return "dir"
        return "file"

    @property
    def is_symlink(self) -> bool:
        return self.mode == _SYMLINK_MODE

    @property
    def is_file(self) -> bool:
        return self.kind == "file"


def parse_ls_tree(output: str) -> list[TreeEntry]:
    entries = []
    for record in output.split("\0"):
        if not record:
            continue
        meta, _, path = record.partition("\t")
        mode, _type, sha, size = meta.split(maxsplit=3)
        entries.append(TreeEntry(path, int(mode, 8), sha, int(size) if size.strip().isdigit() else None))
    return entries
