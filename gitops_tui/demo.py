"""`gitops-tui demo`: the product on a fresh machine, with no cluster and no network.

Glue like the CLI (it may use every room). Until the console and the reconciler exist, the
demo shows the best of what does: it builds the demo Git repository with real history,
loads its Argo CD Applications and renders every app at its target revision, then says what
to try next and what is still to come.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from gitops_tui.config import load_applications, state_home
from gitops_tui.model import AppSpec
from gitops_tui.sandbox.demorepo import build_demo_repository
from gitops_tui.source.git import GitError, MirrorPool
from gitops_tui.source.render import Renderer, RenderError


def run_static_demo(state_dir: Path | None) -> int:
    root = (state_dir or state_home() / "demo").resolve()
    print(f"Building the demo Git repository in {root} ...")
    repo = build_demo_repository(root)
    for reason in repo.left_out:
        print(f"  left out {reason}")
    loaded = load_applications([repo.apps_dir])
    for problem in (*loaded.errors, *loaded.warnings):
        print(f"  {problem}")
    pool = MirrorPool(cache_dir=root / "cache")
    renderer = Renderer(pool)
    failed = 0
    print(f"\n{len(loaded.apps)} Argo CD Applications in {repo.apps_dir}:\n")
    for app in loaded.apps:
        try:
            mirror = pool.get(app.source.repo_url)
            mirror.fetch()
            commit = mirror.resolve(app.source.target_revision)
            rendered = renderer.render(app, commit.sha)
        except (GitError, RenderError) as exc:
            failed += 1
            print(f"  ✗ {app.name:<10} {getattr(exc, 'message', exc)}")
            continue
        kinds = Counter(obj.get("kind", "?") for obj in rendered.objects)
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        last_change = mirror.history(commit.sha, app.source.path, limit=1)
        changed = f"last changed in {last_change[0].short_sha}: {last_change[0].subject}" if last_change else ""
        at = f"{app.source.target_revision}@{commit.short_sha}"
        print(f"  ✓ {app.name:<10} {at} {app.source.path}/ renders {summary}")
        print(f"    {'':<10} {changed}")
    apps = repo.apps_dir
    broken = _broken_build_revision(pool, loaded.apps)
    print(
        "\nTry:\n"
        f"  gitops-tui apps --apps {apps}\n"
        f"  gitops-tui manifests guestbook --apps {apps}\n"
        f"  gitops-tui manifests guestbook --apps {apps} --revision {broken}   # the broken build\n"
        f"  gitops-tui manifests payments --apps {apps}   # Secret values are masked\n"
        "\nThe live console (sandbox cluster, health, diff, sync, rollback) is not built yet: "
        "this demo shows the Git and rendering half. Run `gitops-tui sandbox` to start the "
        "Kubernetes API emulator on its own."
    )
    return 2 if failed else 0


def _broken_build_revision(pool: MirrorPool, apps: Sequence[AppSpec]) -> str:
    """The short SHA of the demo's broken guestbook build, for the user to render."""
    guestbook = next((a for a in apps if a.name == "guestbook"), None)
    if guestbook is None:
        return "HEAD"
    try:
        history = pool.get(guestbook.source.repo_url).history(guestbook.source.target_revision, guestbook.source.path)
    except GitError:
        return "HEAD"
    return next((c.short_sha for c in history if "crashloop" in c.subject), "HEAD")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_static_demo(None))
