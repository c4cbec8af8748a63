"""A console's side of "are we talking about the same apps?": what its files say *now*, read as a one-shot
`status`/`diff` would read them.

A command names its console by the unread inputs (console_address.py) and parses nothing. The console
then checks, for every question and after it came, that the files it was started from (the apps
definitions, the config file, the kubeconfig files, an argocd-cm file) still hold what it watches: a
content digest of them equal to the one its definitions were loaded from. When they changed it reads them
again, as a one-shot command would, and answers only if the kubeconfig still means the same clusters and
context, the health checks are the same, and (query_server.py checks this per app) each app asked about is
defined as the console watches it. So an edited apps file never gets a stale answer, and an edit to one app
does not stop the console answering for the others.

The command's context is checked per question too: a command without `--context` uses the kubeconfig's
current context as it reads now, so a console started with `--context X` answers it while X is that
context, and refuses once the file names another (as one started without `--context` answers
`--context X` only while X is its current context).

Health checks from the cluster (`--argocd-cm cluster:NAMESPACE/NAME`) are read by a one-shot command at
every run, but by a console once, at start, and it keeps judging with those. So before each answer the
console reads the ConfigMap again (one GET) and answers only when its checks are still the ones the
command would read; after an edit it refuses, and the command reads the new checks itself, until the
console is restarted.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_tui.cli.console_address import CLUSTER_PREFIX, ConsoleAddress, address_of
from gitops_tui.cli.health_options import DEFAULT_CONFIGMAP
from gitops_tui.config import LoadResult, SettingsError, load_applications, load_settings
from gitops_tui.config.loader import DEFINITION_SUFFIXES


class DefinitionsChanged(ValueError):
    """The files do not (or no longer) say what the console watches; the message says how."""


@dataclass(frozen=True)
class _Read:
    digest: str
    roots: tuple[Path, ...]
    result: LoadResult
    kubeconfig: Any
    """As the console watches with it (its --context applied), read from the files now."""
    file_context: str
    """The kubeconfig's own current context: the one a command without --context uses."""


class WatchedDefinitions:
    """What a console answers for (`answer_queries_as=`): its address, and the files' current verdict."""

    def __init__(self, address: ConsoleAddress, kubeconfig: Any, *, kubeconfig_option: str | None = None,
                 context: str | None = None, apps_spelled: Sequence[str] = (),
                 health_checks: str | None = None) -> None:  # fmt: skip
        """`kubeconfig`: the cluster.kubeconfig.KubeConfig the console watches with; `health_checks`: the
        argocd-cm source its custom health checks were installed from (None: none)."""
        self.address = address
        self.apps_spelled = tuple(apps_spelled)
        """The apps paths as the console's options spelled them (messages name files so)."""
        self._kubeconfig_option = kubeconfig_option
        self._context = context
        self._watching = str(kubeconfig.current_context or "")
        """The context this console takes for the current one (its --context, else the file's at start)."""
        self._clusters = clusters_digest(kubeconfig)
        self._health_checks = health_checks
        self._health_digest = _file_digest(health_checks)
        self._cluster_scripts = _installed_scripts() if (health_checks or "").startswith(CLUSTER_PREFIX) else None
        self._checks_client: tuple[_Read, Any] | None = None
        self._lock = threading.Lock()
        self._read: _Read | None = None
        self._problem = ""
        try:
            self._read = self._load()
        except DefinitionsChanged as exc:  # said to each question, until the files are right again
            self._problem = str(exc)

    @classmethod
    def of_options(cls, args: Any, kubeconfig: Any) -> WatchedDefinitions:
        """For a console started with these command-line options (`console`, `watch`)."""
        from gitops_tui.cli.health_options import argocd_cm_source
        from gitops_tui.config import resolve_app_paths

        argocd_cm = getattr(args, "argocd_cm", None)
        address = address_of(args.apps, args.kubeconfig, args.context, argocd_cm)
        spelled = tuple(str(p) for p in resolve_app_paths(args.apps)) if address.apps else ()
        checks = argocd_cm_source(args) if hasattr(args, "argocd_cm") else None
        return cls(address, kubeconfig, kubeconfig_option=args.kubeconfig, context=args.context,
                   apps_spelled=spelled, health_checks=checks)  # fmt: skip

    @classmethod
    def of_paths(cls, apps: Path, kubeconfig_path: Path, kubeconfig: Any) -> WatchedDefinitions:
        """For a console on one apps path and one kubeconfig file, without custom health checks (the demo):
        it answers `gitops-tui diff|status --apps APPS --kubeconfig KUBECONFIG`."""
        address = address_of([str(apps)], str(kubeconfig_path))
        return cls(address, kubeconfig, kubeconfig_option=str(kubeconfig_path), apps_spelled=(str(apps),))

    @property
    def key(self) -> str:
        return self.address.key

    def current(self, context: str | None = None) -> LoadResult:
        """The definitions as the files hold them now, if they mean what this console watches, for a command
        with this `--context` ("": none, the kubeconfig's current context; None: the console's own spelling).

        Blocking (it reads files, and the cluster for checks read from there): call it off the event loop.
        Raises DefinitionsChanged otherwise."""
        with self._lock:
            read = self._read
            if read is None or self._digest(read.roots) != read.digest:
                try:
                    self._read = read = self._load()
                except DefinitionsChanged as exc:
                    self._read, self._problem = None, str(exc)
                    raise
        self._check_context(context, read)
        if (self._health_checks or "").startswith(CLUSTER_PREFIX):
            self._check_cluster_health_checks(read)
        return read.result

    def problem(self) -> str:
        """Why the last reading could not be used ("" when it could)."""
        return self._problem if self._read is None else ""

    # ---- reading the files as a one-shot command does ------------------------------------------------------

    def _load(self) -> _Read:
        roots = self._roots()
        before = self._digest(roots)
        result = load_applications(roots)
        kubeconfig, file_context = self._check_kubeconfig()
        self._check_health_checks()
        if self._roots() != roots or self._digest(roots) != before:
            raise DefinitionsChanged("the app definitions changed while the console read them")
        return _Read(before, roots, result, kubeconfig, file_context)

    def _roots(self) -> tuple[Path, ...]:
        # As the console's options spell them (relative to its directory, which never changes): problems name
        # files so, and a command spelling them alike prints them alike.
        if self.apps_spelled:
            return tuple(Path(p) for p in self.apps_spelled)
        if self.address.apps:
            return tuple(Path(p) for p in self.address.apps)
        try:
            return tuple(load_settings(Path(self.address.config_file)).apps)
        except SettingsError as exc:
            raise DefinitionsChanged(str(exc)) from None

    def _check_kubeconfig(self) -> tuple[Any, str]:
        """The kubeconfig as this console watches with it, and the file's own current context."""
        from gitops_tui.cluster.errors import KubeconfigError
        from gitops_tui.cluster.kubeconfig import load_kubeconfig

        try:
            as_written = load_kubeconfig(self._kubeconfig_option)
            # load_kubeconfig(option, context=C) is exactly this: one parse serves both contexts.
            kubeconfig = as_written.with_current_context(self._context) if self._context else as_written
        except KubeconfigError as exc:
            raise DefinitionsChanged(exc.message) from None
        if clusters_digest(kubeconfig) != self._clusters:
            raise DefinitionsChanged("the kubeconfig names other clusters or another current context now")
        return kubeconfig, str(as_written.current_context or "")

    def _check_context(self, context: str | None, read: _Read) -> None:
        """A command with this --context would resolve destinations from the context this console does."""
        if context is None:  # the address the command asked at spells the console's own --context
            return
        uses = context or read.file_context
        if uses != self._watching:
            raise DefinitionsChanged(
                f"the command would use context {uses or '(none: no current-context set)'}; this console "
                f"watches {self._watching}"
            )

    def _check_cluster_health_checks(self, read: _Read) -> None:
        """The ConfigMap the health checks came from still holds the checks this console judges with."""
        from gitops_tui.cluster.errors import ClusterError
        from gitops_tui.engine.health_lua_config import HealthConfigError, parse_health_scripts
        from gitops_tui.model import ResourceKey

        where = (self._health_checks or "")[len(CLUSTER_PREFIX) :] or DEFAULT_CONFIGMAP
        namespace, _, name = where.rpartition("/")
        namespace = namespace or DEFAULT_CONFIGMAP.split("/")[0]
        if self._cluster_scripts is None:
            raise DefinitionsChanged(f"this console does not know the checks it read from ConfigMap {where}")
        client = self._client_for(read)
        try:
            configmap = client.get(ResourceKey("", "ConfigMap", namespace, name))
            if configmap is None:
                raise DefinitionsChanged(f"the ConfigMap {namespace}/{name} of the custom health checks is gone")
            scripts = parse_health_scripts(configmap.get("data") or {}, f"ConfigMap {namespace}/{name}")
        except ClusterError as exc:
            raise DefinitionsChanged(f"cannot read the custom health checks: {exc.message}") from None
        except HealthConfigError as exc:
            raise DefinitionsChanged(str(exc)) from None
        if scripts != self._cluster_scripts:
            raise DefinitionsChanged(f"the custom health checks in ConfigMap {namespace}/{name} changed since this "
                                     "console read them at start (it judges with those until restarted)")  # fmt: skip

    def _client_for(self, read: _Read) -> Any:
        """A read-only client on the kubeconfig as read now (credentials rotate), kept while the files are."""
        from gitops_tui.cluster.client import ClientSettings, ClusterClient

        with self._lock:
            if self._checks_client is not None and self._checks_client[0] is read:
                return self._checks_client[1]
            if self._checks_client is not None:
                self._checks_client[1].close()
            client = ClusterClient.from_kubeconfig(read.kubeconfig, settings=ClientSettings(read_only=True))
            self._checks_client = (read, client)
            return client

    def _check_health_checks(self) -> None:
        from gitops_tui.cli.health_options import ARGOCD_CM_ENV

        source = self.address.argocd_cm
        if not source:  # the config file's argocdCM:, as the one-shot command reads it
            try:
                configured = load_settings(Path(self.address.config_file)).argocd_cm
            except SettingsError as exc:
                raise DefinitionsChanged(str(exc)) from None
            source = str(configured) if configured else ""
        in_use = self._health_checks or ""
        same = source == in_use or (
            not source.startswith(CLUSTER_PREFIX) and bool(source) and bool(in_use)
            and Path(source).expanduser().absolute() == Path(in_use).expanduser().absolute()
        )  # fmt: skip
        if not same:
            raise DefinitionsChanged(f"the custom health checks (${ARGOCD_CM_ENV}, --argocd-cm, argocdCM:) "
                                     "are not the ones this console judges with")  # fmt: skip
        if _file_digest(self._health_checks) != self._health_digest:
            raise DefinitionsChanged(f"{self._health_checks} changed since this console loaded its health checks")

    def _digest(self, roots: Sequence[Path]) -> str:
        """A digest of every file a one-shot command reads for its definitions, by path and content."""
        digest = hashlib.sha256()
        files = [Path(self.address.config_file), *definition_files(roots), *map(Path, self.address.kubeconfig)]
        if self._health_checks and not self._health_checks.startswith(CLUSTER_PREFIX):
            files.append(Path(self._health_checks).expanduser())
        for path in files:
            digest.update(str(path).encode() + b"\0")
            try:
                digest.update(hashlib.sha256(path.read_bytes()).digest())
            except OSError as exc:
                digest.update(f"unreadable: {exc.strerror}".encode())
        return digest.hexdigest()


def definition_files(roots: Sequence[Path]) -> list[Path]:
    """The files config.loader reads under `roots`, found the way it finds them."""
    found: list[Path] = []
    for root in roots:
        if root.is_dir():
            found.extend(sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in DEFINITION_SUFFIXES))
        else:
            found.append(root)
    return found


def clusters_digest(kubeconfig: Any) -> str:
    """The clusters and contexts a kubeconfig names, and its current context: equal means the same clusters."""
    data = kubeconfig.data or {}
    shape = [data.get("clusters") or [], data.get("contexts") or [], bool(getattr(kubeconfig, "in_cluster", False)),
             str(kubeconfig.current_context or "")]  # fmt: skip
    return hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()


def _installed_scripts() -> tuple[Any, ...] | None:
    """The Lua health scripts installed for this process (read from the cluster before the console started)."""
    from gitops_tui.engine.health import installed_custom_checks

    scripts = getattr(installed_custom_checks(), "scripts", None)
    return tuple(scripts) if scripts is not None else None


def _file_digest(source: str | None) -> str:
    if not source or source.startswith(CLUSTER_PREFIX):
        return ""
    try:
        return hashlib.sha256(Path(source).expanduser().read_bytes()).hexdigest()
    except OSError as exc:
        return f"unreadable: {exc.strerror}"
