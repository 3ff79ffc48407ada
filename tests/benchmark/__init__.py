"""The load benchmark: ``uv run python -m tests.benchmark`` (see README.md, "Benchmark").

It is a program, not part of the test suite: pytest collects nothing here. Speed is measured
only by it, never by a timed test.
"""
