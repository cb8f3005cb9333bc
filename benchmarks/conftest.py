"""Benchmark fixtures: a private Redis server for the session, and the figures summarised at
the end. Run with `uv run pytest benchmarks --benchmark-only`."""

import fnmatch
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    # The workspace root is not an installed package; this makes `tests` importable.
    sys.path.insert(0, str(ROOT))

import docket._speedups  # noqa: E402

from tests.conftest import redis_url  # noqa: E402, F401  (the suite's private server)

from ._support import FIGURES  # noqa: E402


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """Collect the bench_*.py files, which the test-file patterns of the suite leave out."""
    if file_path.suffix != ".py" or not file_path.name.startswith("bench_"):
        return None
    patterns: list[str] = parent.config.getini("python_files")
    already = any(fnmatch.fnmatch(file_path.name, pattern) for pattern in patterns)
    if already or parent.session.isinitpath(file_path):
        return None  # the python plugin collects it already
    module: pytest.Module = pytest.Module.from_parent(parent, path=file_path)
    return module


def pytest_report_header() -> str:
    return f"docket kernels: {docket._speedups.IMPLEMENTATION} ({docket._speedups.REASON})"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("docket benchmark figures")
    for figure in FIGURES:
        terminalreporter.write_line(
            f"{figure.benchmark:<48} {figure.label:<34} {figure.value:>14,.1f} {figure.unit}"
        )
