"""The chaos run, short form: CLI workers killed with SIGKILL, Redis crashed mid-run, replies
lost with their connection and Redis out of memory for a second."""

import subprocess
import sys
from pathlib import Path

import pytest

CHAOS = Path(__file__).resolve().parents[2] / "benchmarks" / "chaos.py"
SHORT_RUN = [
    *("--tasks", "300", "--workers", "3", "--kills", "4", "--restarts", "1"),
    *("--lost-replies", "4", "--oom", "1"),
]


@pytest.mark.chaos
@pytest.mark.timeout(120)
def test_every_task_runs_despite_killed_workers_crashed_redis_lost_replies_and_oom() -> None:
    result = subprocess.run(
        [sys.executable, str(CHAOS), *SHORT_RUN, "--deadline", "90"],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "all ran at least once" in result.stdout
    assert "no worker died" in result.stdout
    print(result.stdout.strip().splitlines()[-1])
