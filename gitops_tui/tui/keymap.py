"""Remapped keys from the config file (`keys: {sync: "ctrl+s"}`), checked before Textual sees them.

Textual's keymap (`App.set_keymap`) replaces the key of every binding whose `id` is in the map; it
does not check the ids or the key names. Here each entry is checked: an unknown id or a key name
Textual would never send is reported (naming the config file and the entry) and left out, so the
console starts with that binding's default key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from textual.binding import Binding, BindingType
from textual.keys import REPLACED_KEYS, Keys, _character_to_key, key_to_character

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
NAMED_KEYS = frozenset(k.value for k in Keys if "+" not in k.value and not k.value.startswith("<")) | {
    "pgup",
    "pgdn",
}


@dataclass(frozen=True)
class CheckedKeymap:
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> key string(s), every entry valid: what `App.set_keymap` gets."""
    problems: list[str] = field(default_factory=list)
    """One sentence per entry left out or clashing, naming the config file and the entry."""


def key_problem(key: str) -> str:
    """Why `key` is not a key Textual can bind ("" when it is): "ctrl+s", "R", "f5", "?", "question_mark"."""
    if not key:
        return "an empty key"
    if len(key) == 1:
        return "" if key.isprintable() and not key.isspace() else f"{key!r} is not a printable key"
    *modifiers, name = key.split("+")
    unknown = [m for m in modifiers if m not in MODIFIERS]
    if unknown:
        return f"unknown modifier {unknown[0]!r} (modifiers: {', '.join(sorted(MODIFIERS))})"
    if not name:
        return f"{key!r} has no key after its modifiers"
    if len(name) == 1 or name in NAMED_KEYS or name in REPLACED_KEYS or key_to_character(name) is not None:
        return ""
    return f"unknown key name {name!r} (examples: ctrl+s, R, f5, escape, question_mark)"


def binding_ids(bindings: Iterable[BindingType]) -> dict[str, Binding]:
    return {b.id: b for b in bindings if isinstance(b, Binding) and b.id}


def check_keymap(keys: Mapping[str, str], bindings: Mapping[str, Binding], source: str) -> CheckedKeymap:
    """`keys` from the config file at `source`, checked against the bindings that can be remapped."""
    checked = CheckedKeymap()
    for binding_id, value in keys.items():
        where = f"{source}: keys.{binding_id}"
        if binding_id not in bindings:
            checked.problems.append(
                f"{where}: no action with that id; its keys stay as they are (ids: {', '.join(sorted(bindings))})"
            )
            continue
        parts = [part.strip() for part in value.split(",")]
        bad = next(((part, why) for part in parts if (why := key_problem(part))), None)
        if bad is not None:
            checked.problems.append(f"{where}: {bad[1]} in {value!r}; the default key is kept")
            continue
        checked.keymap[binding_id] = ",".join(_character_to_key(p) if len(p) == 1 else p for p in parts)
    checked.problems.extend(_clashes(checked.keymap, bindings, source))
    return checked


def _clashes(keymap: Mapping[str, str], bindings: Mapping[str, Binding], source: str) -> list[str]:
    """Two actions given one key: Textual keeps only one of them, so say which key is shared."""
    owners: dict[str, list[str]] = {}
    for binding_id, binding in bindings.items():
        for key in keymap.get(binding_id, binding.key).split(","):
            owners.setdefault(_character_to_key(key.strip()) if len(key.strip()) == 1 else key.strip(), []).append(
                binding_id
            )
    return [
        f"{source}: keys: {key!r} is given to {' and '.join(ids)}; only one of them can have it"
        for key, ids in owners.items()
        if len(ids) > 1 and any(i in keymap for i in ids)
    ]
