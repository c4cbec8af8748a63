"""Directory rendering from real repositories."""

from __future__ import annotations

import shutil
import threading
from typing import Any

import pytest

from gitops_tui.model import AppSource, AppSpec, Destination, DirectorySource
from gitops_tui.source.git import MirrorPool
from gitops_tui.source.render import Renderer, RenderError
from tests.gitrepos import GitRemote, Symlink


def cm(name: str, namespace: str = "", **data: str) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    body = "".join(f"\n  {k}: '{v}'" for k, v in data.items())
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}{ns}\ndata:{body or ' {}'}\n"


def make_app(remote: GitRemote, path: str = "app", name: str = "web", **source: Any) -> AppSpec:
    return AppSpec(
        name=name, source=AppSource(repo_url=remote.url, path=path, **source), destination=Destination(namespace="prod")
    )


def names(objects: tuple[dict[str, Any], ...]) -> list[str]:
    return [obj["metadata"]["name"] for obj in objects]


@pytest.fixture
def renderer(pool: MirrorPool) -> Renderer:
    return Renderer(pool)


def commit_and_fetch(pool: MirrorPool, remote: GitRemote, files: dict[str, Any]) -> str:
    sha = remote.commit(files)
    pool.get(remote.url).fetch()
    return sha


class TestSelection:
    FILES = {
        "app/b.yaml": cm("b"),
        "app/a.yml": cm("a"),
        "app/c.json": '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}',
        "app/notes.txt": "not a manifest",
        "app/sub/d.yaml": cm("d"),
        "app/sub/deeper/e.yaml": cm("e"),
        "other/f.yaml": cm("f"),
    }

    def test_top_level_only_without_recurse(self, pool: MirrorPool, remote: GitRemote, renderer: Renderer) -> None:
        sha = commit_and_fetch(pool, remote, self.FILES)
        result = renderer.render(make_app(remote), sha)
        assert names(result.objects) == ["a", "b", "c"]  # ordered by file path
        assert result.commit == sha and result.source_type == "directory"

    def test_recurse(self, pool: MirrorPool, remote: GitRemote, renderer: Renderer) -> None:
        sha = commit_and_fetch(pool, remote, self.FILES)
        result = renderer.render(make_app(remote, directory=DirectorySource(recurse=True)), sha)
        assert names(result.objects) == ["a", "b", "c", "d", "e"]

    @pytest.mark.parametrize(
        ("include", "exclude", "expected"),
        [
            ("*.yaml", "", ["b", "d", "e"]),  # "*" crosses "/", as in Argo CD
            ("{a.yml,c.json}", "", ["a", "c"]),
            ("sub/*", "", ["d", "e"]),
            ("", "sub/deeper/*", ["a", "b", "c", "d"]),
            ("*.{yaml,yml}", "{b.yaml,sub/d.yaml}", ["a", "e"]),
            ("", "*", []),
        ],
    )
    def test_include_exclude(
        self,
        pool: MirrorPool,
        remote: GitRemote,
        renderer: Renderer,
        include: str,
        exclude: str,
        expected: list[str],
    ) -> None:
        sha = commit_and_fetch(pool, remote, self.FILES)
        options = DirectorySource(recurse=True, include=include, exclude=exclude)
        assert names(renderer.render(make_app(remote, directory=options), sha).objects) == expected

    def test_root_path(self, pool: MirrorPool, remote: GitRemote, renderer: Renderer) -> None:
        sha = commit_and_fetch(pool, remote, {"x.yaml": cm("x"), "app/y.yaml": cm("y")})
        assert names(renderer.render(make_app(remote, path="."), sha).objects) == ["x"]
        assert names(renderer.render(make_app(remote, path=""), sha).objects) == ["x"]

    def test_empty_directory_warns(self, pool: MirrorPool, remote: GitRemote, renderer: Renderer) -> None:
        sha = commit_and_fetch(pool, remote, {"app/README.md": "hi"})
        result = renderer.render(make_app(remote), sha)
        assert result.objects == () and "no .yaml, .yml or .json files in 'app'" in result.warnings


class TestDocuments:
    def test_multi_document_list_and_empty_documents(
        self, pool: MirrorPool, remote: GitRemote, renderer: Renderer
    ) -> None:
        stream = (
            "# leading comment\n---\n"
            + cm("one")
            + "---\n---\n# only a comment\n---\n"
            + cm("two")
            + "---\napiVersion: v1\nkind: ConfigMapList\nitems:\n"
            "- {apiVersion: v1, kind: ConfigMap, metadata: {name: three}}\n"
            "- {apiVersion: v1, kind: ConfigMap, metadata: {name: four}}\n---\n{}\n"
        )
        sha = commit_and_fetch(pool, remote, {"app/all.yaml": stream})
        assert names(renderer.render(make_app(remote), sha).objects) == ["one", "two", "three", "four"]

    def test_json_list(self, pool: MirrorPool, remote: GitRemote, renderer: Renderer) -> None:
        doc = (
            '{"apiVersion": "v1", "kind": "List", "items": ['
            '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}]}'
        )
        sha = commit_and_fetch(pool, remote, {"app/list.json": doc})
        (obj,) = renderer.render(make_app(remote), sha).objects
        assert (obj["kind"], obj["metadata"]["name"]) == ("Service", "s")

    def test_dates_stay_strings(self, pool: MirrorPool, remote: GitRemote, renderer: Renderer) -> None:
        doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n  annotations:\n    since: 2024-01-02\n"
        sha = commit_and_fetch(pool, remote, {"app/d.yaml": doc})
        (obj,) = renderer.render(make_app(remote), sha).objects
        assert obj["metadata"]["annotations"]["since"] == "2024-01-02"


class TestErrors:
    def render_error(
        self, pool: MirrorPool, remote: GitRemote, renderer: Renderer, files: dict[str, Any], **app: Any
    ) -> RenderError:
        sha = commit_and_fetch(pool, remote, files)
        with pytest.raises(RenderError) as caught:
            renderer.render(make_app(remote, **app), sha)
        return caught.value

    def test_malformed_yaml_names_file_and_line(self, pool: MirrorPool, remote: GitRemote, renderer: Renderer) -> None:
        bad = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: a: b\n"
        error = self.render_error(pool, remote, renderer, {"app/good.yaml": cm("g"), "app/bad.yaml": bad})
        # libyaml says "... in this context", pure-Python PyYAML "... here".
        assert error.message.startswith("app 'web': app/bad.yaml line 5: mapping values are not allowed")
        assert (error.file, error.line) == ("app/bad.yaml", 5)

    def test_malformed_json_names_file_and_line(self, pool: MirrorPool, remote: GitRemote, renderer: Renderer) -> None:
        error = self.render_error(pool, remote, renderer, {"app/x.json": '{\n  "kind": "A",\n  oops\n}'})
        assert error.message.startswith("app 'web': app/x.json line 3: ")

    @pytest.mark.parametrize(
        ("document", "problem"),
        [
            ("kind: ConfigMap\nmetadata: {name: x}\n", "document 2 has no apiVersion"),
            ("apiVersion: v1\nmetadata: {name: x}\n", "document 2 has no kind"),
            ("metadata: {name: x}\n", "document 2 has no apiVersion and no kind"),
            ("- just\n- a list\n", "document 2 is a list, not a Kubernetes object"),
            ("apiVersion: v1\nkind: List\nitems:\n- {kind: Pod}\n", "document 2 item 1 has no apiVersion"),
        ],
    )
    def test_objects_need_api_version_and_kind(
        self, pool: MirrorPool, remote: GitRemote, renderer: Renderer, document: str, problem: str
    ) -> None:
        error = self.render_error(pool, remote, renderer, {"app/x.yaml": cm("ok") + "---\n" + document})
        assert error.message == f"app 'web': app/x.yaml: {problem}"

    def test_duplicate_objects_name_both_files(self, pool: MirrorPool, remote: GitRemote, renderer: Renderer) -> None:
        files = {"app/a.yaml": cm("same", "ns"), "app/b.yaml": cm("same", "ns")}
        error = self.render_error(pool, remote, renderer, files)
        assert "ConfigMap ns/same is defined in app/a.yaml and in app/b.yaml" in error.message

    def test_same_name_in_other_namespaces_is_fine(
        self, pool: MirrorPool, remote: GitRemote, renderer: Renderer
    ) -> None:
        sha = commit_and_fetch(pool, remote, {"app/a.yaml": cm("same", "one") + "---\n" + cm("same", "two")})
        assert len(renderer.render(make_app(remote), sha).objects) == 2

    @pytest.mark.parametrize("path", ["../elsewhere", "/etc", "app/../../x"])
    def test_path_leaving_the_repository(
        self, pool: MirrorPool, remote: GitRemote, renderer: Renderer, path: str
    ) -> None:
        error = self.render_error(pool, remote, renderer, {"app/a.yaml": cm("a")}, path=path)
        assert "leaves the repository" in error.message or "absolute" in error.message

    def test_missing_path(self, pool: MirrorPool, remote: GitRemote, renderer: Renderer) -> None:
        error = self.render_error(pool, remote, renderer, {"app/a.yaml": cm("a")}, path="nope")
        assert error.message.startswith("app 'web': 'nope' is not a directory at commit")

    @pytest.mark.parametrize("target", ["../../../etc/passwd", "/etc/passwd", "up/../../../x.yaml"])
    def test_symlink_leaving_the_repository(
        self, pool: MirrorPool, remote: GitRemote, renderer: Renderer, target: str
    ) -> None:
        files = {"app/a.yaml": cm("a"), "app/evil.yaml": Symlink(target), "app/up": Symlink("..")}
        error = self.render_error(pool, remote, renderer, files)
        assert "app/evil.yaml" in error.message and "outside the repository" in error.message

    def test_symlinks_inside_the_repository_are_followed(
        self, pool: MirrorPool, remote: GitRemote, renderer: Renderer
    ) -> None:
        files = {
            "shared/s.yaml": cm("shared"),
            "app/link.yaml": Symlink("../shared/s.yaml"),
            "app/dir.yaml": Symlink("../shared"),
        }
        sha = commit_and_fetch(pool, remote, files)
        assert names(renderer.render(make_app(remote), sha).objects) == ["shared"]

    def test_one_bad_app_does_not_stop_others(self, pool: MirrorPool, remote: GitRemote, renderer: Renderer) -> None:
        sha = commit_and_fetch(pool, remote, {"bad/x.yaml": "a: [", "good/x.yaml": cm("fine")})
        with pytest.raises(RenderError):
            renderer.render(make_app(remote, path="bad", name="bad"), sha)
        assert names(renderer.render(make_app(remote, path="good", name="good"), sha).objects) == ["fine"]

    def test_output_cap(self, pool: MirrorPool, remote: GitRemote) -> None:
        sha = commit_and_fetch(pool, remote, {"app/a.yaml": cm("a", big="x" * 5000)})
        with pytest.raises(RenderError, match="over the 1000-byte limit"):
            Renderer(pool, max_output_bytes=1000).render(make_app(remote), sha)


class TestCache:
    def test_second_render_does_not_touch_git(self, pool: MirrorPool, remote: GitRemote, renderer: Renderer) -> None:
        sha = commit_and_fetch(pool, remote, {"app/a.yaml": cm("a"), "other/b.yaml": cm("b")})
        first = renderer.render(make_app(remote), sha)
        shutil.rmtree(pool.get(remote.url).path)  # from here on, any read of the mirror fails
        assert renderer.render(make_app(remote, name="web"), sha) is first
        with pytest.raises(RenderError):  # the control: an uncached render does need the mirror
            renderer.render(make_app(remote, path="other"), sha)

    def test_new_commit_renders_again(self, pool: MirrorPool, remote: GitRemote, renderer: Renderer) -> None:
        one = commit_and_fetch(pool, remote, {"app/a.yaml": cm("a")})
        two = commit_and_fetch(pool, remote, {"app/b.yaml": cm("b")})
        assert names(renderer.render(make_app(remote), one).objects) == ["a"]
        assert names(renderer.render(make_app(remote), two).objects) == ["a", "b"]
        recursed = renderer.render(make_app(remote, directory=DirectorySource(include="b.yaml")), two)
        assert names(recursed.objects) == ["b"]

    def test_a_branch_name_is_resolved_before_caching(
        self, pool: MirrorPool, remote: GitRemote, renderer: Renderer
    ) -> None:
        one = commit_and_fetch(pool, remote, {"app/a.yaml": cm("a")})
        assert renderer.render(make_app(remote), "main").commit == one
        two = commit_and_fetch(pool, remote, {"app/b.yaml": cm("b")})
        result = renderer.render(make_app(remote), "main")
        assert (result.commit, names(result.objects)) == (two, ["a", "b"])
        assert renderer.render(make_app(remote), one[:9]).commit == one
        with pytest.raises(RenderError, match="unknown revision 'nope'"):
            renderer.render(make_app(remote), "nope")

    def test_concurrent_renders_share_one_result(self, pool: MirrorPool, remote: GitRemote, renderer: Renderer) -> None:
        sha = commit_and_fetch(pool, remote, {f"app/{i}.yaml": cm(f"m{i}") for i in range(20)})
        barrier = threading.Barrier(4)
        results = []

        def render() -> None:
            barrier.wait()
            results.append(renderer.render(make_app(remote), sha))

        threads = [threading.Thread(target=render) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(results) == 4 and all(result is results[0] for result in results)
