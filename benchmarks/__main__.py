"""Run every `benchmarks/bench_*.py` module in name order, each as if run as a script.

A module added by anyone is picked up here without editing this file. Arguments name
modules to run alone: `python -m benchmarks bench_render`; options after the names go to the modules
(`python -m benchmarks bench_sync --apps 100`).
"""

from __future__ import annotations

import pkgutil
import runpy
import sys
from pathlib import Path


def discover() -> list[str]:
    here = str(Path(__file__).parent)
    return sorted(m.name for m in pkgutil.iter_modules([here]) if m.name.startswith("bench_"))


def main(argv: list[str]) -> int:
    names = discover()
    # Names come first; what follows the first option is the benchmarks' own (`bench_sync --apps 100`): each
    # module parses sys.argv with parse_known_args and ignores the names.
    leading = argv[: next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))]
    chosen = [n.removesuffix(".py") for n in leading] or names
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        print(f"no such benchmark: {', '.join(unknown)} (have: {', '.join(names)})", file=sys.stderr)
        return 2
    for name in chosen:
        print(f"\n== {name} ==", flush=True)
        runpy.run_module(f"benchmarks.{name}", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
