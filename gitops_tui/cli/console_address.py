"""Which console may answer a command: what its options and environment name, before anything is read.

`gitops-tui diff|status` and a console (`console`, `watch`, `demo`) both describe themselves here with
the *unread* inputs a one-shot command would start from: the apps paths (`--apps`, `$GITOPS_TUI_APPS`,
`./apps`, else the config file's `apps:`), the kubeconfig files (`--kubeconfig`, `$KUBECONFIG`,
`~/.kube/config`) and `--context`, the custom health checks (`--argocd-cm`, `$GITOPS_TUI_ARGOCD_CM`,
else the config file's `argocdCM:`) and the config file itself. Equal inputs give an equal key, which names
the console's socket. What those files *say* is the console's to check, after the question came
(cli/console_definitions.py), so the command parses nothing: standard library only. The one exception is
a guess: without `--context` the command also asks the console started with `--context` naming the
kubeconfig's `current-context:` line (addresses_to_ask), which checks that guess with the real parser.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

APPS_ENV = "GITOPS_TUI_APPS"  # config.settings.APPS_ENV (that module imports YAML)
ARGOCD_CM_ENV = "GITOPS_TUI_ARGOCD_CM"  # cli.health_options.ARGOCD_CM_ENV
CLUSTER_PREFIX = "cluster:"


class ConsoleAddress:
    """The inputs of a one-shot `status`/`diff`, as absolute paths; `key` names a console that watches the same."""

    __slots__ = ("apps", "argocd_cm", "config_file", "context", "kubeconfig")

    def __init__(self, apps: tuple[str, ...], kubeconfig: tuple[str, ...], context: str, argocd_cm: str,
                 config_file: str) -> None:  # fmt: skip
        self.apps = apps
        """Definition files or directories; () when the config file's `apps:` names them."""
        self.kubeconfig = kubeconfig
        """The kubeconfig files kubectl would merge; () for the in-cluster service account."""
        self.context = context
        """`--context` as given ("": the kubeconfig's current context)."""
        self.argocd_cm = argocd_cm
        """An argocd-cm file (absolute), `cluster:NAMESPACE/NAME`, or "" (the config file's `argocdCM:`, if any)."""
        self.config_file = config_file

    @property
    def key(self) -> str:
        text = json.dumps([self.apps, self.kubeconfig, self.context, self.argocd_cm, self.config_file])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConsoleAddress) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return (f"ConsoleAddress(apps={self.apps}, kubeconfig={self.kubeconfig}, context={self.context!r}, "
                f"argocd_cm={self.argocd_cm!r}, config_file={self.config_file!r})")  # fmt: skip


def address_of(
    apps: Sequence[str] = (),
    kubeconfig: str | None = None,
    context: str | None = None,
    argocd_cm: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> ConsoleAddress:
    """The address for these options (as argparse would hold them) in this environment and directory."""
    return ConsoleAddress(
        apps=_apps_paths(apps, environ),
        kubeconfig=_kubeconfig_paths(kubeconfig, environ),
        context=context or "",
        argocd_cm=_argocd_cm(argocd_cm, environ),
        config_file=_absolute(Path(environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
                              / "gitops-tui" / "config.yaml"),
    )  # fmt: skip


def addresses_to_ask(
    apps: Sequence[str] = (),
    kubeconfig: str | None = None,
    context: str | None = None,
    argocd_cm: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> list[ConsoleAddress]:
    """The consoles that may answer a command with these options, its own address first.

    A console started with `--context X` answers a command without `--context` when X is the kubeconfig's
    current context, and one started without `--context` answers `--context X` when X is the current context:
    both would use the same context. The other address is a guess (the command parses no kubeconfig, it
    only looks for its `current-context:` line); the console checks the command's context with the real
    parser after the question came (console_definitions.py), so a wrong guess costs a refusal, never an answer.
    """
    own = address_of(apps, kubeconfig, context, argocd_cm, environ)
    # With --context: the console without one (it refuses unless its current context is the command's).
    other = "" if own.context else current_context_guess(own.kubeconfig)
    if other is None:
        return [own]
    return [own, ConsoleAddress(own.apps, own.kubeconfig, other, own.argocd_cm, own.config_file)]


_YAML_CURRENT_CONTEXT = re.compile(r"^current-context[ \t]*:(.*)$", re.MULTILINE)
_JSON_CURRENT_CONTEXT = re.compile(r'"current-context"\s*:\s*("(?:[^"\\]|\\.)*"|null)')
_PLAIN_NAME = re.compile(r"[^\s#'\"{}\[\],&*!|>%@`]+")


def current_context_guess(kubeconfig: Sequence[str]) -> str | None:
    """The `current-context` kubectl would use from these files (the first file that sets one), as far as the
    standard library can tell without a YAML parser; None when there is none or the spelling is unusual."""
    for path in kubeconfig:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        found = [_scalar(value) for value in _YAML_CURRENT_CONTEXT.findall(text)]
        found += [json.loads(value) or "" for value in _JSON_CURRENT_CONTEXT.findall(text)]
        if len(found) > 1:
            return None  # a duplicated key, or the name in a comment: not for a guess to settle
        if found and found[0] is None:
            return None
        if found and found[0]:
            return found[0]
    return None


def _scalar(value: str) -> str | None:
    """A YAML scalar on one line: '' when empty or null (the key sets nothing), None when not plainly spelled."""
    value = value.strip()
    if " #" in value and not value.startswith(("'", '"')):
        value = value.split(" #", 1)[0].rstrip()
    if value in ("", "~", "null", "Null", "NULL", '""', "''"):
        return ""
    quote = value[0]
    if len(value) > 2 and quote in "'\"" and value[-1] == quote and quote not in value[1:-1] and "\\" not in value:
        return value[1:-1]
    return value if _PLAIN_NAME.fullmatch(value) else None


def spelled_apps(cli_paths: Sequence[str] = (), environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """The apps paths as config.settings.resolve_app_paths spells them (definition messages name files so);
    () when the config file names them."""
    if cli_paths:
        return tuple(str(Path(p).expanduser()) for p in cli_paths)
    from_env = environ.get(APPS_ENV, "")
    if from_env.strip():
        return tuple(str(Path(p).expanduser()) for p in from_env.split(os.pathsep) if p.strip())
    return ("apps",) if Path("apps").is_dir() else ()


def _absolute(path: str | Path) -> str:
    return str(Path(path).expanduser().absolute())


def _apps_paths(cli_paths: Sequence[str], environ: Mapping[str, str]) -> tuple[str, ...]:
    """config.settings.resolve_app_paths without the config file (that one is read by the console, if needed)."""
    if cli_paths:
        return tuple(_absolute(p) for p in cli_paths)
    from_env = environ.get(APPS_ENV, "")
    if from_env.strip():
        return tuple(_absolute(p) for p in from_env.split(os.pathsep) if p.strip())
    if Path("apps").is_dir():
        return (_absolute("apps"),)
    return ()


def _kubeconfig_paths(explicit: str | None, environ: Mapping[str, str]) -> tuple[str, ...]:
    """cluster.kubeconfig.kubeconfig_paths: an explicit file, else `$KUBECONFIG`'s files that exist, else ~/.kube."""
    if explicit:
        return (_absolute(explicit),)
    listed = environ.get("KUBECONFIG", "")
    if listed:
        paths = dict.fromkeys(Path(p).expanduser() for p in listed.split(os.pathsep) if p)
        return tuple(_absolute(p) for p in paths if p.is_file())
    default = Path.home() / ".kube" / "config"
    return (_absolute(default),) if default.is_file() else ()


def _argocd_cm(option: str | None, environ: Mapping[str, str]) -> str:
    """cli.health_options.argocd_cm_source, but "" where it would read the config file."""
    source = str(option) if option else environ.get(ARGOCD_CM_ENV, "").strip()
    if not source or source.startswith(CLUSTER_PREFIX):
        return source
    return _absolute(source)
