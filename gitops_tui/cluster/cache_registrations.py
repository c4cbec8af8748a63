"""What a LiveCache's consumers asked to watch, and what that adds up to per kind.

A kind is watched across all namespaces if any consumer wants it so, else in the union of the
namespaces asked for (cache.py turns that into watch scopes).
"""

from __future__ import annotations

from collections.abc import Iterable

from .kinds import GroupKind, with_tree_children


class Registrations:
    """Per consumer, the kinds it needs and the namespaces (None: all of them); the last word counts."""

    def __init__(self) -> None:
        self._by_consumer: dict[str, tuple[frozenset[GroupKind], frozenset[str] | None]] = {}

    def declare(
        self,
        consumer: str,
        kinds: Iterable[GroupKind | tuple[str, str]],
        namespaces: Iterable[str] | None,
        *,
        include_children: bool,
    ) -> None:
        wanted = frozenset(GroupKind(*k) for k in kinds)
        if include_children:  # what the resource tree shows below them (ReplicaSets, Pods...)
            wanted = with_tree_children(wanted)
        self._by_consumer[consumer] = (wanted, None if namespaces is None else frozenset(namespaces))

    def withdraw(self, consumer: str) -> bool:
        """Forget `consumer`'s needs; False when it had declared none."""
        return self._by_consumer.pop(consumer, None) is not None

    def wanted_namespaces(self) -> dict[GroupKind, frozenset[str] | None]:
        """Per kind, the namespaces to watch it in; None: across all namespaces."""
        wanted: dict[GroupKind, frozenset[str] | None] = {}
        for kinds, namespaces in self._by_consumer.values():
            for kind in kinds:
                if kind in wanted and wanted[kind] is None:
                    continue
                wanted[kind] = None if namespaces is None else (wanted.get(kind) or frozenset()) | namespaces
        return wanted

    def requested_namespaces(self) -> set[str]:
        """Every namespace some consumer named."""
        requested: set[str] = set()
        for _kinds, namespaces in self._by_consumer.values():
            requested |= namespaces or set()
        return requested
