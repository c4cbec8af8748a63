"""Normalisation before comparing desired and live objects.

What the server owns (status, resourceVersion, managedFields, ...) and what only records how an
object was written (last-applied, tracking annotations) never counts as drift. Empty and absent
are the same to the API, so they are the same here.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from gitops_tui.cluster.tracking import ARGOCD_TRACKING_ANNOTATION, DEFAULT_TRACKING_ANNOTATION

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# The annotation keys are the cluster room's; the engine only needs to know to ignore them.
ARGOCD_TRACKING = ARGOCD_TRACKING_ANNOTATION
DEFAULT_TRACKING = DEFAULT_TRACKING_ANNOTATION

SERVER_OWNED_METADATA = (
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)

_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$")
_SUFFIX = {
    "": 1, "n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000),
    "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}  # fmt: skip


def normalize(obj: Mapping[str, Any], tracking_keys: Iterable[str] = (DEFAULT_TRACKING, ARGOCD_TRACKING)) -> dict:
    """A new object without server-owned fields, recording annotations and empty values.

    Built by copying only what is kept (drop_empty makes the nested copies), never by deep-copying
    the whole object and deleting: this runs for every resource on every comparison.
    """
    result = {k: v for k, v in obj.items() if k != "status"}
    metadata = result.get("metadata")
    if isinstance(metadata, Mapping):
        metadata = {k: v for k, v in metadata.items() if k not in SERVER_OWNED_METADATA}
        annotations = metadata.get("annotations")
        if isinstance(annotations, Mapping):
            recording = {LAST_APPLIED, *tracking_keys}
            metadata["annotations"] = {k: v for k, v in annotations.items() if k not in recording}
        result["metadata"] = metadata
    if result.get("kind") == "Secret" and result.get("apiVersion") == "v1":
        _fold_string_data(result)
    return drop_empty(result)


def drop_empty(value: Any) -> Any:
    """Remove None, {} and [] everywhere: the API treats them as absent. (Items of a list stay where they
    are, emptied or not: their position can matter.) Every compare of a changed object runs this over the
    whole object twice, so scalars are tested once and only containers recurse."""
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                item = drop_empty(item)
                if not item:
                    continue
            elif item is None:
                continue
            cleaned[key] = item
        return cleaned
    if isinstance(value, list):
        return [drop_empty(item) if isinstance(item, (dict, list)) else item for item in value]
    return value


def _fold_string_data(secret: dict) -> None:
    """Git holds `stringData`; the server stores it base64-encoded in `data`. Compare like the server."""
    string_data = secret.pop("stringData", None)
    if isinstance(string_data, dict):
        data = secret["data"] = dict(secret.get("data") or {})
        for key, text in string_data.items():
            data[key] = base64.b64encode(str(text).encode()).decode()


def quantity_value(text: Any) -> Fraction | None:
    """The exact value of a Kubernetes quantity (`100m`, `1Gi`, `1e3`), or None if it is not one."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return Fraction(str(text))
    if not isinstance(text, str):
        return None
    match = _QUANTITY.match(text.strip())
    if not match:
        return None
    number, exponent, suffix = match.groups()
    value = Fraction(number)
    if exponent:
        return value * Fraction(10) ** int(exponent[1:])
    return value * _SUFFIX[suffix or ""]


def same_quantity(a: Any, b: Any) -> bool:
    left, right = quantity_value(a), quantity_value(b)
    return left is not None and left == right
