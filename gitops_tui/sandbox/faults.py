"""Fault injection: latency, error responses, watch disconnects, compaction, refused connections.

Faults act on requests and connections only; they never touch stored objects, so a fault can never
leave the store in a state a real server could not be in. (Compaction forgets old history, as etcd does.)
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .routing import Target


@dataclass
class ErrorFault:
    """Answer `code` instead of serving the request, for a fraction `rate` of matching requests.

    verbs: None for any; resource: "*", a plural or a group-resource; namespace: "*" or a name;
    count: stop after this many injected errors (None: forever).
    """

    code: int = 500
    rate: float = 1.0
    verbs: frozenset[str] | None = None
    resource: str = "*"
    namespace: str = "*"
    retry_after: int = 1
    count: int | None = None

    def __post_init__(self) -> None:
        if self.verbs is not None and not isinstance(self.verbs, frozenset):
            self.verbs = frozenset(self.verbs)

    def matches(self, target: Target) -> bool:
        if self.verbs is not None and target.verb not in self.verbs:
            return False
        if self.namespace != "*" and self.namespace != target.namespace:
            return False
        return self.resource in ("*", target.rt.plural, target.rt.group_resource)

    def error(self) -> errors.ApiError:
        if self.code == 429:
            return errors.ApiError(
                429,
                "TooManyRequests",
                "the server has received too many requests and has asked us to try again later",
                {
                    "causes": [{"reason": "UnexpectedServerResponse", "message": "injected by the sandbox"}],
                    "retryAfterSeconds": self.retry_after,
                },
                headers={"Retry-After": str(self.retry_after)},
            )
        if self.code == 503:
            return errors.ApiError(
                503,
                "ServiceUnavailable",
                "the server is currently unable to handle the request",
                {},
                headers={"Retry-After": str(self.retry_after)},
            )
        if self.code == 504:
            return errors.ApiError(
                504,
                "Timeout",
                "the server was unable to return a response in the time "
                "allotted, but may still be processing the request",
                {},
            )
        return errors.internal_error("injected by the sandbox")


@dataclass
class LatencyFault:
    """Delay matching requests by `seconds` (verbs None: any; resource "*", a plural or group-resource)."""

    seconds: float
    verbs: frozenset[str] | None = None
    resource: str = "*"

    def __post_init__(self) -> None:
        if self.verbs is not None and not isinstance(self.verbs, frozenset):
            self.verbs = frozenset(self.verbs)

    def matches(self, target: Target) -> bool:
        if self.verbs is not None and target.verb not in self.verbs:
            return False
        return self.resource in ("*", target.rt.plural, target.rt.group_resource)


@dataclass
class Faults:
    latency: float = 0.0  # seconds added before every request (discovery included)
    latencies: list[LatencyFault] = field(default_factory=list)  # per verb/resource, on top
    errors: list[ErrorFault] = field(default_factory=list)
    seed: int | None = None
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        if self.seed is not None:
            self._rng.seed(self.seed)

    def error_for(self, target: Target) -> errors.ApiError | None:
        for fault in list(self.errors):
            if fault.matches(target) and self._rng.random() < fault.rate:
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.errors.remove(fault)
                return fault.error()
        return None

    def latency_for(self, target: Target) -> float:
        return sum(rule.seconds for rule in self.latencies if rule.matches(target))

    def clear(self) -> None:
        self.latency = 0.0
        self.latencies.clear()
        self.errors.clear()

    def describe(self) -> dict[str, Any]:
        return {
            "latency": self.latency,
            "latencies": [
                {"seconds": r.seconds, "verbs": sorted(r.verbs) if r.verbs else None, "resource": r.resource}
                for r in self.latencies
            ],
            "errors": [
                {
                    "code": f.code,
                    "rate": f.rate,
                    "verbs": sorted(f.verbs) if f.verbs else None,
                    "resource": f.resource,
                    "namespace": f.namespace,
                    "count": f.count,
                }
                for f in self.errors
            ],
        }


def error_fault_from_json(data: dict[str, Any]) -> ErrorFault:
    return ErrorFault(
        code=int(data.get("code", 500)),
        rate=float(data.get("rate", 1.0)),
        verbs=frozenset(data["verbs"]) if data.get("verbs") else None,
        resource=str(data.get("resource", "*")),
        namespace=str(data.get("namespace", "*")),
        retry_after=int(data.get("retryAfter", 1)),
        count=data.get("count"),
    )
