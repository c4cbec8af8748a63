"""The demo Git repository: real history, real Application definitions, no network.

Built with the `git` command (the sandbox stands alone and imports nothing of the console).
The tree starts as the files under `demo_repo/`; later commits are small text edits, so the
history reads like a team's: updates, a broken build (image tag `crashloop`, which the
sandbox's kubelet simulates as a crash loop) and its fix, so rollback has something to do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

TEMPLATE = Path(__file__).with_name("demo_repo")
GUESTBOOK_WEB = "guestbook/web.yaml"


@dataclass(frozen=True)
class DemoCommit:
    subject: str
    author: str
    edits: dict[str, tuple[str, str]] = field(default_factory=dict)
    """path -> (old text, new text): each edit must match exactly once."""
    hours_ago: float = 0.0


HISTORY = (
    DemoCommit(
        "guestbook: web 1.1.0 with the new entry form",
        "Bob Builder",
        {GUESTBOOK_WEB: ("guestbook-web:1.0.0", "guestbook-web:1.1.0")},
        hours_ago=30,
    ),
    DemoCommit(
        "orders: scale the API to 3 replicas for the sale",
        "Carol Ops",
        {
            "waves/orders.yaml": (
                "replicas: 2\n  progressDeadlineSeconds: 120",
                "replicas: 3\n  progressDeadlineSeconds: 120",
            )
        },
        hours_ago=26,
    ),
    DemoCommit(
        "guestbook: web build crashloop (broken: exits on start)",
        "Bob Builder",
        {GUESTBOOK_WEB: ("guestbook-web:1.1.0", "guestbook-web:crashloop")},
        hours_ago=6,
    ),
    DemoCommit(
        "guestbook: back to a working web build, 1.1.1",
        "Alice Admin",
        {GUESTBOOK_WEB: ("guestbook-web:crashloop", "guestbook-web:1.1.1")},
        hours_ago=5,
    ),
    DemoCommit(
        "payments: allow 45 s for the card processor",
        "Dana Dev",
        {"config/settings.yaml": ('TIMEOUT_SECONDS: "30"', 'TIMEOUT_SECONDS: "45"')},
        hours_ago=2,
    ),
)

INITIAL = DemoCommit("Initial guestbook, orders, payments and catalog apps", "Alice Admin", hours_ago=48)


@dataclass(frozen=True)
class DemoApp:
    name: str
    path: str
    namespace: str
    automated: bool = False
    self_heal: bool = False
    prune: bool = False
    needs_kustomize: bool = False


DEMO_APPS = (
    DemoApp("guestbook", "guestbook", "guestbook", automated=True, self_heal=True, prune=True),
    DemoApp("orders", "waves", "orders", automated=True),
    DemoApp("payments", "config", "payments"),
    DemoApp("catalog", "kustomize/overlays/prod", "catalog", needs_kustomize=True),
)


@dataclass(frozen=True)
class DemoRepository:
    bare: Path
    work: Path
    apps_dir: Path
    url: str
    left_out: tuple[str, ...]
    """Apps not written, with the reason (e.g. no kustomize binary)."""


def kustomize_available() -> bool:
    return bool(shutil.which("kustomize") or shutil.which("kubectl"))


def build_demo_repository(root: Path, now: datetime | None = None) -> DemoRepository:
    """Create `root/demo.git` (bare), a working clone and `root/apps/` from scratch."""
    now = now or datetime.now(UTC)
    for stale in ("demo.git", "work", "apps"):
        shutil.rmtree(root / stale, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    bare, work = root / "demo.git", root / "work"
    _git(root, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    _git(root, "init", "--quiet", "--initial-branch=main", str(work))
    shutil.copytree(TEMPLATE, work, dirs_exist_ok=True)
    _commit(work, INITIAL, now)
    for commit in HISTORY:
        apply_commit(work, commit, now)
    _git(work, "remote", "add", "origin", str(bare))
    _git(work, "push", "--quiet", "origin", "main")
    url = bare.resolve().as_uri()
    apps_dir, left_out = write_applications(root / "apps", url)
    return DemoRepository(bare, work, apps_dir, url, left_out)


def apply_commit(work: Path, commit: DemoCommit, now: datetime | None = None) -> str:
    """Edit, commit and return the new commit's SHA (the caller pushes when it wants)."""
    for rel, (old, new) in commit.edits.items():
        path = work / rel
        text = path.read_text(encoding="utf-8")
        if text.count(old) != 1:
            raise ValueError(f"demo edit for {rel} must match exactly once: {old!r}")
        path.write_text(text.replace(old, new), encoding="utf-8")
    return _commit(work, commit, now or datetime.now(UTC))


def write_applications(apps_dir: Path, repo_url: str) -> tuple[Path, tuple[str, ...]]:
    apps_dir.mkdir(parents=True, exist_ok=True)
    left_out = []
    for app in DEMO_APPS:
        if app.needs_kustomize and not kustomize_available():
            left_out.append(f"{app.name}: needs kustomize or kubectl on PATH to render a Kustomize overlay")
            continue
        (apps_dir / f"{app.name}.yaml").write_text(_application_yaml(app, repo_url), encoding="utf-8")
    return apps_dir, tuple(left_out)


def _application_yaml(app: DemoApp, repo_url: str) -> str:
    lines = [
        "apiVersion: argoproj.io/v1alpha1",
        "kind: Application",
        "metadata:",
        f"  name: {app.name}",
        "  namespace: argocd",
        "spec:",
        "  project: default",
        "  source:",
        f"    repoURL: {repo_url}",
        "    targetRevision: main",
        f"    path: {app.path}",
        "  destination:",
        "    server: https://kubernetes.default.svc",
        f"    namespace: {app.namespace}",
        "  syncPolicy:",
    ]
    if app.automated:
        lines += [
            "    automated:",
            f"      prune: {str(app.prune).lower()}",
            f"      selfHeal: {str(app.self_heal).lower()}",
        ]
    lines += ["    syncOptions:", "      - CreateNamespace=true"]
    return "\n".join(lines) + "\n"


def _commit(work: Path, commit: DemoCommit, now: datetime) -> str:
    when = (now - timedelta(hours=commit.hours_ago)).strftime("%Y-%m-%dT%H:%M:%S%z")
    email = commit.author.split()[0].lower() + "@demo.gitops-tui.invalid"
    env = {
        "GIT_AUTHOR_NAME": commit.author,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_NAME": commit.author,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_COMMITTER_DATE": when,
    }
    _git(work, "add", "--all")
    _git(work, "commit", "--quiet", "--no-gpg-sign", "-m", commit.subject, env=env)
    return _git(work, "rev-parse", "HEAD").strip()


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    # No user config may leak in (signing, hooks, templates): the demo must build anywhere.
    full_env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", **(env or {})}
    result = subprocess.run(["git", *args], cwd=cwd, env=full_env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


# The `--scenario` story's commits: pushed while the console watches.
NEW_GUESTBOOK_BUILD = DemoCommit(
    "guestbook: web 1.2.0 with dark mode", "Bob Builder",
    {GUESTBOOK_WEB: ("guestbook-web:1.1.1", "guestbook-web:1.2.0")},
)  # fmt: skip
BROKEN_ORDERS_BUILD = DemoCommit(
    "orders: api build crashloop (broken: exits on start)", "Carol Ops",
    {"waves/orders.yaml": ("orders-api:2.3.0", "orders-api:crashloop")},
)  # fmt: skip


def push(work: Path, commit: DemoCommit) -> str:
    """Commit `commit` in the working clone and push it to the demo remote; returns its SHA."""
    sha = apply_commit(work, commit)
    _git(work, "push", "--quiet", "origin", "main")
    return sha
