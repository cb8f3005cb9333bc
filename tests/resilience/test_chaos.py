"""The chaos run, short form: CLI workers killed with SIGKILL and Redis crashed mid-run; on a
single server also replies lost with their connection, and Redis out of memory for a second;
on a local cluster and a Sentinel set-up, the docket's master killed instead."""

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
@pytest.mark.timeout(150)
@pytest.mark.parametrize(
    "topology",
    [
        "single",
        pytest.param("cluster", marks=pytest.mark.cluster),
        pytest.param("sentinel", marks=pytest.mark.sentinel),
    ],
)
def test_every_task_runs_and_no_worker_dies_whatever_breaks(topology: str) -> None:
    mode = [] if topology == "single" else [f"--{topology}"]
    result = subprocess.run(
        [sys.executable, str(CHAOS), *SHORT_RUN, *mode, "--deadline", "90"],
        capture_output=True,
        text=True,
        timeout=140,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "all ran at least once" in result.stdout
    assert "no worker died" in result.stdout
    print(result.stdout.strip().splitlines()[-1])


@pytest.mark.chaos
@pytest.mark.timeout(150)
@pytest.mark.parametrize("topology", ["single", pytest.param("cluster", marks=pytest.mark.cluster)])
def test_a_sharded_drain_loses_nothing_while_workers_are_killed(topology: str) -> None:
    mode = [] if topology == "single" else [f"--{topology}"]
    result = subprocess.run(
        [sys.executable, str(CHAOS), *SHORT_RUN, *mode, "--shards", "3", "--deadline", "90"],
        capture_output=True,
        text=True,
        timeout=140,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "on 3 shard(s)" in result.stdout
    assert "all ran at least once" in result.stdout
    assert "no worker died" in result.stdout
