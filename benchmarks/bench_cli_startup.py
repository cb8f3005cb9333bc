"""Start-up of the `docket` command, as subprocesses: `docket --help`, `docket worker --help`
and `docket version` from launch to exit, and an idle `docket worker` from launch until ready.

"Ready" is the worker's start-up line ("worker '...' started on docket ..."): it is logged once
the docket is open, the consumer group exists and the worker's connections are made, right
before its first blocking read. Each round launches a fresh process; the reported figure is the
median of the rounds, in ms (pytest-benchmark's own table also counts the worker's stop).

The subprocesses may write bytecode caches (PYTHONDONTWRITEBYTECODE is dropped from their
environment, and one untimed warm-up run comes first), because installed packages have them:
without them every import compiles its source and the figures say little about what users see.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from ._support import Benchmark, report

DOCKET = Path(sys.executable).parent / "docket"
ROUNDS = 15
TASKS_SOURCE = "async def noop() -> None: ...\n\ntasks = [noop]\n"
READY = b" started on docket "


def environment(directory: Path) -> dict[str, str]:
    """Ours, with bytecode caches allowed and `directory` (the tasks module) importable."""
    kept = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    return {
        **kept,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(directory), kept.get("PYTHONPATH")])),
    }


@pytest.mark.parametrize(
    "command",
    [["--help"], ["worker", "--help"], ["version"]],
    ids=["help", "worker-help", "version"],
)
def test_command_start_to_exit(benchmark: Benchmark, command: list[str], tmp_path: Path) -> None:
    env = environment(tmp_path)
    seconds: list[float] = []

    def run() -> None:
        started = time.perf_counter()
        subprocess.run([DOCKET, *command], env=env, capture_output=True, check=True, timeout=60)
        seconds.append(time.perf_counter() - started)

    run()  # warm-up: writes the bytecode caches
    seconds.clear()
    benchmark.pedantic(run, rounds=ROUNDS, iterations=1)

    median = sorted(seconds)[len(seconds) // 2]
    report(benchmark, " ".join(["docket", *command]), median * 1000, "ms")


@pytest.mark.timeout(300)
def test_idle_worker_launch_to_ready(benchmark: Benchmark, redis_url: str, tmp_path: Path) -> None:
    (tmp_path / "startup_tasks.py").write_text(TASKS_SOURCE)
    env = environment(tmp_path)
    docket = f"bench-{uuid.uuid4().hex}"  # one docket for every round: no keys left per round
    seconds: list[float] = []

    def launch() -> None:
        command = [str(DOCKET), "worker", "--tasks", "startup_tasks:tasks", "--url", redis_url]
        command += ["--docket", docket, "--logging-format", "plain"]
        started = time.perf_counter()
        with subprocess.Popen(
            command,
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        ) as process:
            assert process.stderr is not None
            log = b""
            for line in process.stderr:
                log += line
                if READY in line:
                    seconds.append(time.perf_counter() - started)
                    break
            process.terminate()  # SIGTERM: the graceful stop, with nothing running
            assert READY in log, f"the worker exited before it was ready:\n{log.decode()}"

    launch()  # warm-up: writes the bytecode caches
    seconds.clear()
    benchmark.pedantic(launch, rounds=ROUNDS, iterations=1)

    median = sorted(seconds)[len(seconds) // 2]
    report(benchmark, "docket worker, idle: launch to ready", median * 1000, "ms")
