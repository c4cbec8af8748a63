"""Parse one Argo CD `Application` document into an `AppSpec`.

Every error names where it is: `apps/prod.yaml#2 app 'web': spec.source.repoURL is required`.
Unknown fields are kept (in `AppSpec.manifest`); fields Argo CD knows but the console does not
act on yet are collected so the loader can report each once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import yaml

from gitops_tui.model import (
    AppSource,
    AppSpec,
    Destination,
    DirectorySource,
    HelmParameter,
    HelmSource,
    IgnoreDifference,
    KustomizeSource,
    Origin,
    RetryStrategy,
    SyncPolicy,
)

APPLICATION_API_VERSION = "argoproj.io/v1alpha1"

# Argo CD fields we parse but do not act on yet. Reported once each, never rejected.
NOT_YET_ACTED_ON = (
    "spec.source.chart",
    "spec.source.plugin",
    "spec.source.directory.jsonnet",
    "spec.source.kustomize.components",
    "spec.source.kustomize.patches",
    "spec.source.kustomize.replicas",
    "spec.source.helm.fileParameters",
    "spec.syncPolicy.managedNamespaceMetadata",
    "spec.info",
)

# Application names become ConfigMap and Lease names, so they follow DNS-1123 subdomain rules.
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}

T = TypeVar("T")


class DefinitionError(Exception):
    """A document that cannot become an AppSpec; the message says where and why."""


@dataclass(frozen=True)
class ParsedApplication:
    app: AppSpec
    unsupported: tuple[str, ...]


class ApplicationParser:
    def __init__(self, doc: Mapping[str, Any], origin: Origin) -> None:
        self.doc = doc
        self.origin = origin
        self.name = ""
        self.unsupported: list[str] = []

    def fail(self, message: str) -> DefinitionError:
        app = f" app '{self.name}'" if self.name else ""
        return DefinitionError(f"{self.origin}{app}: {message}")

    def parse(self) -> ParsedApplication:
        if self.doc.get("apiVersion") != APPLICATION_API_VERSION:
            raise self.fail(f"apiVersion must be {APPLICATION_API_VERSION}, got {self.doc.get('apiVersion')!r}")
        metadata = self.mapping(self.doc, "metadata", required=True)
        name = self.typed(metadata, "metadata.name", str, required=True)
        if not _NAME.match(name):
            raise self.fail(f"metadata.name {name!r} is not a valid name (lower-case letters, digits, '-' and '.')")
        self.name = name
        spec = self.mapping(self.doc, "spec", required=True)
        if "sources" in spec and "source" not in spec:
            raise self.fail("spec.sources (several sources) is not supported yet; use spec.source")
        if "sources" in spec:
            self.unsupported.append("spec.sources")
        for field_path in NOT_YET_ACTED_ON:
            if _has_path(self.doc, field_path):
                self.unsupported.append(field_path)
        history_limit = self.typed(spec, "spec.revisionHistoryLimit", int, default=10)
        if history_limit < 0:
            raise self.fail("spec.revisionHistoryLimit must be 0 or more")
        app = AppSpec(
            name=name,
            namespace=self.typed(metadata, "metadata.namespace", str, default=""),
            project=self.typed(spec, "spec.project", str, default="default") or "default",
            source=self.source(self.mapping(spec, "spec.source", required=True)),
            destination=self.destination(self.mapping(spec, "spec.destination", required=True)),
            sync_policy=self.sync_policy(self.mapping(spec, "spec.syncPolicy")),
            ignore_differences=self.ignore_differences(spec.get("ignoreDifferences")),
            revision_history_limit=history_limit,
            origin=self.origin,
            manifest=self.doc,
        )
        return ParsedApplication(app, tuple(self.unsupported))

    # -- sections -------------------------------------------------------------------------

    def source(self, src: Mapping[str, Any]) -> AppSource:
        repo_url = self.typed(src, "spec.source.repoURL", str, required=True).strip()
        if not repo_url:
            raise self.fail("spec.source.repoURL is required")
        path = self.typed(src, "spec.source.path", str, default=".") or "."
        if "directory" in src and ("kustomize" in src or "helm" in src):
            raise self.fail("spec.source can set only one of directory, kustomize and helm")
        return AppSource(
            repo_url=repo_url,
            path=path,
            target_revision=str(self.scalar(src, "spec.source.targetRevision", default="HEAD") or "HEAD"),
            directory=self.directory(src),
            kustomize=self.kustomize(src),
            helm=self.helm(src),
        )

    def directory(self, src: Mapping[str, Any]) -> DirectorySource | None:
        d = self.mapping(src, "spec.source.directory")
        if not d and "directory" not in src:
            return None
        return DirectorySource(
            recurse=self.typed(d, "spec.source.directory.recurse", bool, default=False),
            include=self.typed(d, "spec.source.directory.include", str, default=""),
            exclude=self.typed(d, "spec.source.directory.exclude", str, default=""),
        )

    def kustomize(self, src: Mapping[str, Any]) -> KustomizeSource | None:
        k = self.mapping(src, "spec.source.kustomize")
        if not k and "kustomize" not in src:
            return None
        where = "spec.source.kustomize"
        return KustomizeSource(
            name_prefix=self.typed(k, f"{where}.namePrefix", str, default=""),
            name_suffix=self.typed(k, f"{where}.nameSuffix", str, default=""),
            namespace=self.typed(k, f"{where}.namespace", str, default=""),
            images=tuple(self.string_list(k, f"{where}.images")),
            common_labels=self.string_map(k, f"{where}.commonLabels"),
            common_annotations=self.string_map(k, f"{where}.commonAnnotations"),
        )

    def helm(self, src: Mapping[str, Any]) -> HelmSource | None:
        h = self.mapping(src, "spec.source.helm")
        if not h and "helm" not in src:
            return None
        where = "spec.source.helm"
        values = h.get("values", "")
        if isinstance(values, Mapping):  # Argo CD accepts values as an object too
            values = yaml.safe_dump(dict(values), sort_keys=False)
        elif not isinstance(values, str):
            raise self.fail(f"{where}.values must be a YAML string or an object")
        parameters = []
        for i, p in enumerate(self.list(h, f"{where}.parameters")):
            at = f"{where}.parameters[{i}]"
            if not isinstance(p, Mapping):
                raise self.fail(f"{at} must be an object with name and value")
            parameters.append(
                HelmParameter(
                    name=self.typed(p, f"{at}.name", str, required=True),
                    value=str(self.scalar(p, f"{at}.value", default="")),
                    force_string=self.typed(p, f"{at}.forceString", bool, default=False),
                )
            )
        values_object = h.get("valuesObject")
        if values_object is not None and not isinstance(values_object, Mapping):
            raise self.fail(f"{where}.valuesObject must be an object")
        return HelmSource(
            release_name=self.typed(h, f"{where}.releaseName", str, default=""),
            value_files=tuple(self.string_list(h, f"{where}.valueFiles")),
            values=values,
            values_object=values_object,
            parameters=tuple(parameters),
        )

    def destination(self, dest: Mapping[str, Any]) -> Destination:
        server = self.typed(dest, "spec.destination.server", str, default="")
        name = self.typed(dest, "spec.destination.name", str, default="")
        if server and name:
            raise self.fail("spec.destination can set server or name, not both")
        if not server and not name:
            raise self.fail("spec.destination needs server or name (the cluster to deploy to)")
        return Destination(
            server=server,
            name=name,
            namespace=self.typed(dest, "spec.destination.namespace", str, default=""),
        )

    def sync_policy(self, policy: Mapping[str, Any]) -> SyncPolicy:
        where = "spec.syncPolicy"
        automated = policy.get("automated")
        if automated is not None and not isinstance(automated, Mapping):
            raise self.fail(f"{where}.automated must be an object (use {{}} to turn it on)")
        auto = automated or {}
        retry = None
        if "retry" in policy:
            retry = self.retry(self.mapping(policy, f"{where}.retry"))
        return SyncPolicy(
            automated=automated is not None,
            prune=self.typed(auto, f"{where}.automated.prune", bool, default=False),
            self_heal=self.typed(auto, f"{where}.automated.selfHeal", bool, default=False),
            allow_empty=self.typed(auto, f"{where}.automated.allowEmpty", bool, default=False),
            sync_options=tuple(self.string_list(policy, f"{where}.syncOptions")),
            retry=retry,
        )

    def retry(self, retry: Mapping[str, Any]) -> RetryStrategy:
        where = "spec.syncPolicy.retry"
        backoff = self.mapping(retry, f"{where}.backoff")
        defaults = RetryStrategy()
        return RetryStrategy(
            limit=self.typed(retry, f"{where}.limit", int, default=defaults.limit),
            backoff_duration_seconds=self.duration(
                backoff, f"{where}.backoff.duration", defaults.backoff_duration_seconds
            ),
            backoff_factor=float(self.scalar(backoff, f"{where}.backoff.factor", default=defaults.backoff_factor)),
            backoff_max_duration_seconds=self.duration(
                backoff, f"{where}.backoff.maxDuration", defaults.backoff_max_duration_seconds
            ),
        )

    def ignore_differences(self, raw: Any) -> tuple[IgnoreDifference, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail("spec.ignoreDifferences must be a list")
        rules = []
        for i, item in enumerate(raw):
            at = f"spec.ignoreDifferences[{i}]"
            if not isinstance(item, Mapping):
                raise self.fail(f"{at} must be an object")
            rules.append(
                IgnoreDifference(
                    group=self.typed(item, f"{at}.group", str, default=""),
                    kind=self.typed(item, f"{at}.kind", str, required=True),
                    name=self.typed(item, f"{at}.name", str, default=""),
                    namespace=self.typed(item, f"{at}.namespace", str, default=""),
                    json_pointers=tuple(self.string_list(item, f"{at}.jsonPointers")),
                    jq_path_expressions=tuple(self.string_list(item, f"{at}.jqPathExpressions")),
                    managed_fields_managers=tuple(self.string_list(item, f"{at}.managedFieldsManagers")),
                )
            )
        return tuple(rules)

    # -- typed field access ---------------------------------------------------------------

    def typed(
        self,
        parent: Mapping[str, Any],
        path: str,
        kind: type[T],
        *,
        required: bool = False,
        default: Any = None,
    ) -> T:
        key = path.rsplit(".", 1)[-1]
        value = parent.get(key) if isinstance(parent, Mapping) else None
        if value is None:
            if required:
                raise self.fail(f"{path} is required")
            return default  # type: ignore[no-any-return]
        # bool is an int in Python; a YAML `true` must not pass as a number, nor 1 as a bool.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(f"{path} must be {_type_word(kind)}, got {_type_word(type(value))} {value!r}")
        return value

    def scalar(self, parent: Mapping[str, Any], path: str, *, default: Any) -> Any:
        value = parent.get(path.rsplit(".", 1)[-1])
        if value is None:
            return default
        if isinstance(value, Mapping | list):
            raise self.fail(f"{path} must be a single value, got {_type_word(type(value))}")
        return value

    def mapping(self, parent: Mapping[str, Any], path: str, *, required: bool = False) -> Mapping[str, Any]:
        value = self.typed(parent, path, dict, required=required, default={})
        return value

    def list(self, parent: Mapping[str, Any], path: str) -> list[Any]:
        return self.typed(parent, path, list, default=[])

    def string_list(self, parent: Mapping[str, Any], path: str) -> list[str]:
        items = self.list(parent, path)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise self.fail(f"{path}[{i}] must be a string, got {_type_word(type(item))} {item!r}")
        return items

    def string_map(self, parent: Mapping[str, Any], path: str) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.mapping(parent, path).items()}

    def duration(self, parent: Mapping[str, Any], path: str, default: float) -> float:
        raw = parent.get(path.rsplit(".", 1)[-1])
        if raw is None:
            return default
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)  # Argo CD reads a bare number as seconds
        text = str(raw).strip()
        if text.isdigit():
            return float(text)
        parts = _DURATION_PART.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise self.fail(f"{path} must be a duration like 5s, 3m or 1h30m, got {raw!r}")
        return sum(float(n) * _DURATION_UNITS[u] for n, u in parts)


def _has_path(doc: Mapping[str, Any], dotted: str) -> bool:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _type_word(kind: type) -> str:
    return {
        str: "a string",
        int: "a whole number",
        bool: "true or false",
        dict: "an object",
        list: "a list",
        float: "a number",
        type(None): "empty",
    }.get(kind, kind.__name__)
