"""Running one sync hook: name it, clear its predecessor, create it, and delete it per its policy afterwards.

Argo CD's rules: a hook is (re)created on every sync; `BeforeHookCreation` (the default) deletes the
previous run's object first, so its name can be reused; `HookSucceeded` / `HookFailed` delete it once it
has finished that way. Hooks named by `generateName` get a fresh name per sync, as the API server would
give them, but chosen here so the executor knows the key to wait on before creating it.
"""

from __future__ import annotations

import dataclasses
import secrets
import string
from collections.abc import Mapping
from typing import Any

from gitops_tui.cluster.client import ClusterClient
from gitops_tui.engine.sync_order import HookDeletePolicy
from gitops_tui.engine.sync_plan import PlannedStep
from gitops_tui.model import ResourceKey

# The API server's generateName suffix: five characters from an alphabet without vowels or look-alikes.
_SUFFIX_ALPHABET = "".join(c for c in string.ascii_lowercase + string.digits if c not in "aeiou013")
_MAX_NAME = 63


@dataclasses.dataclass(frozen=True)
class PreparedHook:
    key: ResourceKey
    obj: Mapping[str, Any]
    policies: tuple[HookDeletePolicy, ...]


def prepare_hook(step: PlannedStep) -> PreparedHook:
    """The object to create for a hook step, with its final name (generateName completed)."""
    assert step.obj is not None, "a hook step always carries its object"
    obj: Mapping[str, Any] = step.obj
    key = step.key
    if step.generate_name:
        suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(5))
        name = f"{step.generate_name[: _MAX_NAME - 5]}{suffix}"
        metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "generateName"}
        obj = {**obj, "metadata": {**metadata, "name": name}}
        key = key._replace(name=name)
    return PreparedHook(key, obj, step.hook_delete_policies)


def delete_before_creation(client: ClusterClient, hook: PreparedHook, *, dry_run: bool) -> bool:
    """Blocking. Delete the previous run's hook object (BeforeHookCreation); True when there was one to delete.

    Background propagation: the old run's Pods must not hold the name; the caller waits until it is gone."""
    if HookDeletePolicy.BEFORE_HOOK_CREATION not in hook.policies:
        return False
    if client.get(hook.key) is None:
        return False
    client.delete(hook.key, propagation="Background", dry_run=dry_run)
    return not dry_run


def delete_after(client: ClusterClient, hook: PreparedHook, *, succeeded: bool) -> str:
    """Blocking. Delete a finished hook per HookSucceeded / HookFailed; returns the words for its result."""
    policy = HookDeletePolicy.HOOK_SUCCEEDED if succeeded else HookDeletePolicy.HOOK_FAILED
    if policy not in hook.policies:
        return ""
    client.delete(hook.key, propagation="Background")
    return f"deleted ({policy.value})"
