"""The YAML loader we use everywhere in config, and messages for its errors."""

from __future__ import annotations

import yaml

# libyaml's C loader is many times faster; the pure-Python one is the fallback where PyYAML
# was built without it.
Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def yaml_problem(exc: BaseException) -> str:
    """`line 7: invalid YAML: mapping values are not allowed here` (lines count from 1)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"line {mark.line + 1}: invalid YAML: {problem}"
    return f"invalid YAML: {problem}"
