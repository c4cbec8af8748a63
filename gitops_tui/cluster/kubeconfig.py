"""Kubeconfig loading and merging as kubectl does it, and Application destinations → contexts.

Merge rules (kubectl's, for a `$KUBECONFIG` list): the first file that defines a named cluster, user or
context wins; `current-context` comes from the first file that sets one. Relative file paths inside a
kubeconfig (certificates, token files, exec commands) are relative to the file that holds them, so we make
them absolute while merging: after merging there is no single base directory any more.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .errors import DestinationError, KubeconfigError

IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
IN_CLUSTER_CONTEXT = "in-cluster"
"""Argo CD's name for the cluster it runs in; also our context name when loaded from a service account."""

_SECTIONS = (("clusters", "cluster"), ("users", "user"), ("contexts", "context"))
_PATH_FIELDS = {
    "cluster": ("certificate-authority",),
    "user": ("client-certificate", "client-key", "tokenFile"),
}


@dataclass(frozen=True)
class ContextInfo:
    name: str
    cluster: str
    user: str
    namespace: str
    server: str


@dataclass(frozen=True)
class KubeConfig:
    """A merged kubeconfig (or the in-cluster service account), ready to build API clients from."""

    data: Mapping[str, Any]
    current_context: str
    sources: tuple[str, ...] = ()
    in_cluster: bool = False

    # ---- contexts ---------------------------------------------------------------------------------------

    def contexts(self) -> list[ContextInfo]:
        if self.in_cluster:
            return [ContextInfo(IN_CLUSTER_CONTEXT, IN_CLUSTER_CONTEXT, "serviceaccount", "", IN_CLUSTER_SERVER)]
        clusters = _named(self.data, "clusters", "cluster")
        found = []
        for name, ctx in _named(self.data, "contexts", "context").items():
            cluster_name = str(ctx.get("cluster") or "")
            server = str((clusters.get(cluster_name) or {}).get("server") or "")
            found.append(
                ContextInfo(name, cluster_name, str(ctx.get("user") or ""), str(ctx.get("namespace") or ""), server)
            )
        return found

    def context(self, name: str | None = None) -> ContextInfo:
        wanted = name or self.current_context
        if not wanted:
            raise KubeconfigError(f"no context given and no current-context set in {self._where()}")
        for info in self.contexts():
            if info.name == wanted:
                return info
        known = ", ".join(c.name for c in self.contexts()) or "none"
        raise KubeconfigError(f"context '{wanted}' not found in {self._where()} (known contexts: {known})")

    def with_current_context(self, name: str) -> KubeConfig:
        """The same config with `--context` applied (validated)."""
        self.context(name)
        data = dict(self.data)
        data["current-context"] = name
        return KubeConfig(data, name, self.sources, self.in_cluster)

    def _where(self) -> str:
        return ", ".join(self.sources) if self.sources else "the kubeconfig"

    # ---- destinations -----------------------------------------------------------------------------------

    def context_for_destination(self, server: str = "", name: str = "") -> str:
        """The context an Application's `destination.server` or `destination.name` points at.

        `server` matches a cluster's server URL (`https://kubernetes.default.svc` means the current context);
        `name` matches a context name, else a cluster name (`in-cluster` falls back to the current context).
        Where several contexts share a cluster, the current context is preferred, then file order.
        """
        if server and name:
            raise DestinationError(f"destination has both server '{server}' and name '{name}'; set only one")
        if not server and not name:
            raise DestinationError("destination has neither server nor name")
        contexts = self.contexts()
        if server:
            wanted = normalize_server(server)
            matches = [c for c in contexts if c.server and normalize_server(c.server) == wanted]
            if not matches and wanted == normalize_server(IN_CLUSTER_SERVER):
                return self.context().name
            if not matches:
                known = ", ".join(sorted({c.server for c in contexts if c.server})) or "none"
                raise DestinationError(
                    f"no kubeconfig context for destination server {server} (known servers: {known})"
                )
            return self._prefer_current(matches)
        by_context = [c for c in contexts if c.name == name]
        if by_context:
            return by_context[0].name
        by_cluster = [c for c in contexts if c.cluster == name]
        if by_cluster:
            return self._prefer_current(by_cluster)
        if name == IN_CLUSTER_CONTEXT:
            return self.context().name
        known = ", ".join(c.name for c in contexts) or "none"
        raise DestinationError(f"no kubeconfig context or cluster named '{name}' (known contexts: {known})")

    def _prefer_current(self, candidates: list[ContextInfo]) -> str:
        for candidate in candidates:
            if candidate.name == self.current_context:
                return candidate.name
        return candidates[0].name


def normalize_server(url: str) -> str:
    """Compare server URLs as a user means them: case-insensitive host, no trailing slash, default port."""
    parts = urlsplit(url.strip())
    scheme = (parts.scheme or "https").lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("https", 443), ("http", 80)) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


# ---- loading ------------------------------------------------------------------------------------------


def kubeconfig_paths(
    explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None, home: Path | None = None
) -> list[Path]:
    """Files to read, in precedence order: an explicit path, else `$KUBECONFIG`, else `~/.kube/config`."""
    env = os.environ if env is None else env
    if explicit:
        return [Path(explicit).expanduser()]
    listed = env.get("KUBECONFIG", "")
    if listed:
        paths = [Path(p).expanduser() for p in listed.split(os.pathsep) if p]
        # kubectl skips listed files that do not exist; duplicates count once.
        unique = list(dict.fromkeys(paths))
        return [p for p in unique if p.is_file()]
    default = (home or Path.home()) / ".kube" / "config"
    return [default] if default.is_file() else []


def load_kubeconfig(
    path: str | os.PathLike[str] | None = None,
    *,
    context: str | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> KubeConfig:
    """Load the kubeconfig the way kubectl would; the in-cluster service account when there is none."""
    env = os.environ if env is None else env
    paths = kubeconfig_paths(path, env, home)
    if path and not paths[0].is_file():
        raise KubeconfigError(f"kubeconfig {paths[0]} does not exist")
    if not paths:
        if env.get("KUBERNETES_SERVICE_HOST"):
            config = KubeConfig({}, IN_CLUSTER_CONTEXT, (), in_cluster=True)
            return config.with_current_context(context) if context else config
        raise KubeconfigError("no kubeconfig found: pass --kubeconfig, set $KUBECONFIG, or create ~/.kube/config")
    documents = [(p, _read_document(p)) for p in paths]
    merged = merge_kubeconfigs(documents)
    config = KubeConfig(merged, str(merged.get("current-context") or ""), tuple(str(p) for p in paths))
    return config.with_current_context(context) if context else config


def _read_document(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KubeconfigError(f"cannot read kubeconfig {path}: {exc}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise KubeconfigError(f"kubeconfig {path} is not a mapping")
    return loaded


def merge_kubeconfigs(documents: list[tuple[Path, Mapping[str, Any]]]) -> dict[str, Any]:
    """Merge parsed kubeconfig documents in precedence order (first occurrence of each name wins)."""
    merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}
    seen: dict[str, set[str]] = {section: set() for section, _ in _SECTIONS}
    for path, document in documents:
        if not merged.get("current-context") and document.get("current-context"):
            merged["current-context"] = document["current-context"]
        for section, inner in _SECTIONS:
            for entry in document.get(section) or []:
                if not isinstance(entry, dict) or not entry.get("name") or entry["name"] in seen[section]:
                    continue
                seen[section].add(entry["name"])
                merged[section].append(_absolutize(copy.deepcopy(entry), inner, path.parent))
        if "preferences" in document and "preferences" not in merged:
            merged["preferences"] = copy.deepcopy(document["preferences"])
    return merged


def _absolutize(entry: dict[str, Any], inner: str, base: Path) -> dict[str, Any]:
    body = entry.get(inner)
    if not isinstance(body, dict):
        return entry
    for field in _PATH_FIELDS.get(inner, ()):
        value = body.get(field)
        if isinstance(value, str) and value and not os.path.isabs(value):
            body[field] = str((base / value).resolve())
    exec_config = body.get("exec") if inner == "user" else None
    if isinstance(exec_config, dict):
        command = exec_config.get("command")
        # client-go resolves an exec command against the file only when it is a relative *path*; a bare
        # name (`aws`, `gke-gcloud-auth-plugin`) is looked up on $PATH.
        if isinstance(command, str) and os.sep in command and not os.path.isabs(command):
            exec_config["command"] = str((base / command).resolve())
    return entry


def _named(data: Mapping[str, Any], section: str, inner: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for entry in data.get(section) or []:
        if isinstance(entry, dict) and entry.get("name") and entry["name"] not in out:
            out[str(entry["name"])] = entry.get(inner) if isinstance(entry.get(inner), dict) else {}
    return out
