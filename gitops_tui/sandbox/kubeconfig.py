"""A kubeconfig for the sandbox: cluster, user and context all named `sandbox`, usable as-is by
`kubectl --kubeconfig` and `kubernetes.config.load_kube_config`."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

CONTEXT = "sandbox"
USER = "sandbox-user"


def kubeconfig_document(url: str, token: str | None, namespace: str = "default") -> dict:
    # Without a server-side token any bearer works; sending one keeps clients on their token code path.
    user = {"token": token or "sandbox"}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": {"server": url}}],
        "users": [{"name": USER, "user": user}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": USER, "namespace": namespace}}],
        "current-context": CONTEXT,
        "preferences": {},
    }


def write_kubeconfig(path: str | Path, url: str, token: str | None) -> Path:
    """Write atomically (temp file + rename) with owner-only permissions: it holds a token."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        yaml.safe_dump(kubeconfig_document(url, token), handle, sort_keys=False)
    os.replace(temp, target)
    return target
