"""Entry point: ``uv run python -m tests.benchmark --help``."""

from tests.benchmark.run import main

main()
