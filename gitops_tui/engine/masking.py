"""Secret values never leave the engine unmasked.

Masks are runs of `+` as in Argo CD: within one masker, equal values get equal masks and
distinct values distinct ones, so a diff still shows *that* a value changed without showing
*what* it is. One masker should cover both sides of a comparison for that to hold.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_SECRET_FIELDS = ("data", "stringData")
_BASE_MASK_LENGTH = 8


class SecretMasker:
    def __init__(self) -> None:
        self._masks: dict[str, str] = {}

    def mask_value(self, value: Any) -> str:
        key = "" if value is None else str(value)
        mask = self._masks.get(key)
        if mask is None:
            mask = "+" * (_BASE_MASK_LENGTH + len(self._masks))
            self._masks[key] = mask
        return mask

    def mask(self, obj: Mapping[str, Any] | None) -> Any:
        """A copy of `obj` with Secret values masked; other kinds come back as they are."""
        if obj is None or not is_secret(obj):
            return obj
        masked = copy.deepcopy(dict(obj))
        for field in _SECRET_FIELDS:
            values = masked.get(field)
            if isinstance(values, dict):
                masked[field] = {k: self.mask_value(v) for k, v in values.items()}
        annotations = (masked.get("metadata") or {}).get("annotations")
        # kubectl's last-applied annotation holds the whole Secret, values included.
        if isinstance(annotations, dict) and LAST_APPLIED in annotations:
            annotations[LAST_APPLIED] = self.mask_value(annotations[LAST_APPLIED])
        return masked

    def mask_all(self, objects: Iterable[Mapping[str, Any]]) -> list[Any]:
        return [self.mask(o) for o in objects]


def is_secret(obj: Mapping[str, Any]) -> bool:
    return obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1"
