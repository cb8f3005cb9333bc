"""`python -m docket`: the `docket` command when docket-cli is installed, one line if not."""

import json
import subprocess
import sys
from pathlib import Path

import docket
from docket import Docket

from .conftest import SpawnWorker, markers
from .hiding import without


def python(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *arguments], capture_output=True, text=True, timeout=60, check=False
    )


async def test_python_dash_m_docket_runs_a_worker(
    cli_docket: Docket, spawn_worker: SpawnWorker, tmp_path: Path
) -> None:
    await cli_docket.add("record")("job")

    worker = await spawn_worker("--until-finished", module="docket")

    assert await worker.wait_for_exit() == 0, worker.log()
    assert markers(tmp_path, "job", "done") == [worker.pid]


def test_python_dash_m_docket_prints_the_version_and_its_own_usage() -> None:
    version = python("-m", "docket", "version")
    usage = python("-m", "docket", "--help")

    assert (version.returncode, version.stdout) == (0, f"{docket.__version__}\n")
    assert usage.returncode == 0
    assert "Usage: python -m docket [OPTIONS] COMMAND" in usage.stdout


WITHOUT_CLI = """
import json, runpy, sys
sys.argv = ["docket", "worker", "--tasks", "my_tasks:tasks"]
try:
    runpy.run_module("docket", run_name="__main__", alter_sys=True)
except SystemExit as exit:
    loaded = [name for name in sys.modules if name.partition(".")[0] in ("typer", "docket_cli")]
    print(json.dumps({"code": exit.code, "loaded": loaded}))
"""


def test_python_dash_m_docket_without_docket_cli_says_to_add_it() -> None:
    result = python("-c", without("docket_cli") + WITHOUT_CLI)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"code": 1, "loaded": []}
    assert result.stderr.splitlines() == [
        "Error: `python -m docket` needs the docket-cli package, which is not installed: "
        "install it from docket's repository or its built wheels (docket's README, "
        "'Installing'); the docket-cli on PyPI is an unrelated project."
    ]
