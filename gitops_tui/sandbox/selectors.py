"""Label and field selectors, parsed once into predicates over stored objects.

Grammar follows `k8s.io/apimachinery/pkg/labels`: comma-separated requirements of `key=value`,
`key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`, `key` (exists), `!key` (does not exist).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import ApiError, bad_request

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(r"\s*(\(|\)|,|!=|==|=|!|[^\s(),!=]+)")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            if text[pos:].strip() == "":
                break
            raise bad_request(f"unable to parse requirement: invalid selector: {text!r}")
        out.append(m.group(1))
        pos = m.end()
    return out


def _label_requirement(tokens: list[str], i: int, text: str) -> tuple[Predicate, int]:
    def fail() -> ApiError:
        return bad_request(f"unable to parse requirement: found unexpected token in label selector: {text!r}")

    if tokens[i] == "!":
        if i + 1 >= len(tokens):
            raise fail()
        key = tokens[i + 1]
        return (lambda labels, k=key: k not in labels), i + 2
    key = tokens[i]
    if key in "(),=!":
        raise fail()
    i += 1
    if i >= len(tokens) or tokens[i] == ",":
        return (lambda labels, k=key: k in labels), i
    op = tokens[i]
    if op in ("=", "==", "!="):
        if i + 1 < len(tokens) and tokens[i + 1] not in ",()":
            value, i = tokens[i + 1], i + 2
        else:
            value, i = "", i + 1  # `key=` selects the empty value, as the real parser allows
        if op == "!=":
            return (lambda labels, k=key, v=value: labels.get(k) != v), i
        return (lambda labels, k=key, v=value: labels.get(k) == v), i
    if op in ("in", "notin"):
        if i + 1 >= len(tokens) or tokens[i + 1] != "(":
            raise fail()
        values: set[str] = set()
        i += 2
        while i < len(tokens) and tokens[i] != ")":
            if tokens[i] != ",":
                values.add(tokens[i])
            i += 1
        if i >= len(tokens):
            raise fail()
        i += 1
        if op == "in":
            return (lambda labels, k=key, vs=frozenset(values): labels.get(k) in vs), i
        return (lambda labels, k=key, vs=frozenset(values): labels.get(k) not in vs), i
    raise fail()


def parse_label_selector(text: str | None) -> Callable[[dict[str, str]], bool] | None:
    """A predicate over a labels dict, or None when the selector selects everything."""
    if not text or not text.strip():
        return None
    tokens = _tokens(text)
    preds: list[Predicate] = []
    i = 0
    while i < len(tokens):
        pred, i = _label_requirement(tokens, i, text)
        preds.append(pred)
        if i < len(tokens):
            if tokens[i] != ",":
                raise bad_request(f"unable to parse requirement: found '{tokens[i]}', expected: ','")
            i += 1
    return lambda labels: all(p(labels) for p in preds)


def label_selector_from_match(selector: dict[str, Any] | None) -> Callable[[dict[str, str]], bool] | None:
    """The predicate of a `LabelSelector` object (matchLabels + matchExpressions), for controllers/GC."""
    if not selector:
        return None
    parts = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return parse_label_selector(",".join(parts)) or (lambda labels: True)


def _field_value(obj: dict[str, Any], path: str) -> str:
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, dict):
            return ""
        node = node.get(part)
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def parse_field_selector(text: str | None, allowed: tuple[str, ...] = ()) -> Predicate | None:
    """A predicate over a whole object; unknown field labels are refused with 400 as real servers do."""
    if not text or not text.strip():
        return None
    preds: list[Predicate] = []
    for raw in text.split(","):
        term = raw.strip()
        if not term:
            continue
        for op in ("!=", "==", "="):
            if op in term:
                key, _, value = term.partition(op)
                break
        else:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        key = key.strip()
        value = value.strip()
        if key not in ("metadata.name", "metadata.namespace") and key not in allowed:
            raise bad_request(f"field label not supported: {key}")
        if op == "!=":
            preds.append(lambda obj, k=key, v=value: _field_value(obj, k) != v)
        else:
            preds.append(lambda obj, k=key, v=value: _field_value(obj, k) == v)
    if not preds:
        return None
    return lambda obj: all(p(obj) for p in preds)


def object_matches(
    obj: dict[str, Any],
    labels: Callable[[dict[str, str]], bool] | None,
    fields: Predicate | None,
) -> bool:
    if labels is not None and not labels(obj.get("metadata", {}).get("labels") or {}):
        return False
    return fields is None or fields(obj)
