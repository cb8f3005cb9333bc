"""examples/quickstart.py runs end to end, with and without the compiled kernels."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart.py"


def run_quickstart(**environment: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKET_")} | environment
    result = subprocess.run(
        [sys.executable, str(QUICKSTART)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no Worker exists" not in result.stderr  # its worker is created before the adds
    return result.stdout


@pytest.mark.parametrize("no_extensions", ["", "1"], ids=["speedups-if-built", "pure-python"])
def test_quickstart_runs_every_kind_of_task_on_memory(no_extensions: str) -> None:
    output = run_quickstart(DOCKET_NO_EXTENSIONS=no_extensions)

    assert "welcome email to Jane Smith" in output
    assert output.count("follow-up email to") == 1
    assert "follow-up email to Jane Q. Smith" in output
    assert "Nobody" not in output.split("cancelled followup-for-999")[1]
    assert "faily: whew! succeeded on attempt 4" in output
    assert output.count("poll poll-inbox:") == 4
    assert "done: 7 succeeded, 3 retried, 0 failed" in output


def test_quickstart_runs_on_a_real_redis_server(redis_url: str) -> None:
    output = run_quickstart(DOCKET_URL=redis_url)

    assert "done: 7 succeeded, 3 retried, 0 failed" in output
