"""Pure helpers: app path normalisation, symlink resolution inside a tree, Argo CD globs."""

from __future__ import annotations

import pytest

from gitops_tui.source.globs import glob_match
from gitops_tui.source.paths import PathEscapes, escaping_symlinks, normalize_repo_path, resolve_in_tree


@pytest.mark.parametrize(
    ("path", "expected"),
    [(".", ""), ("", ""), ("./apps//web/", "apps/web"), ("apps/x/../web", "apps/web")],
)
def test_normalize(path: str, expected: str) -> None:
    assert normalize_repo_path(path) == expected


@pytest.mark.parametrize("path", ["..", "../x", "a/../../x", "/etc", "C:/x"])
def test_normalize_refuses_escapes(path: str) -> None:
    with pytest.raises(PathEscapes):
        normalize_repo_path(path)


def test_resolve_follows_intermediate_links() -> None:
    links = {"a/up": "..", "b": "a/up/x.yaml", "c": "a/up/../x"}
    assert resolve_in_tree("b", links) == "x.yaml"
    # Lexically "a/up/../x" is "a/x", but a/up is the root, so the real target is above it.
    with pytest.raises(PathEscapes):
        resolve_in_tree("c", links)
    assert escaping_symlinks(links) == [("c", "a/up/../x")]


def test_resolve_detects_loops() -> None:
    with pytest.raises(PathEscapes, match="too many levels"):
        resolve_in_tree("a", {"a": "b", "b": "a"})


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*.yaml", "x.yaml", True),
        ("*.yaml", "sub/x.yaml", True),
        ("*.yaml", "x.yml", False),
        ("{a,b}.yaml", "b.yaml", True),
        ("{a,b}.yaml", "c.yaml", False),
        ("x/{p,q{1,2}}.y", "x/q2.y", True),
        ("?.json", "a.json", True),
        ("[!a]*.json", "a.json", False),
        ("[ab].json", "b.json", True),
        ("\\*.yaml", "*.yaml", True),
        ("\\*.yaml", "x.yaml", False),
        ("config.json", "sub/config.json", False),
    ],
)
def test_glob(pattern: str, path: str, matches: bool) -> None:
    assert glob_match(pattern, path) is matches


def test_unclosed_brace_is_an_error() -> None:
    with pytest.raises(ValueError, match="unclosed"):
        glob_match("{a,b", "a")
