"""Speed and memory targets (`make bench`, `python -m benchmarks`); never part of the test suite."""
