"""The benchmark: `python -m tests.perf.bench` (or `make bench`); see tests/perf/bench.py."""
