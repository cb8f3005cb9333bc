"""The concurrency slot of a SIGKILLed worker is freed when its message is delivered again
(issue 12): the parked run behind it then runs, nothing is lost."""

import signal
from pathlib import Path

import pytest
from docket import Docket

from ..helpers import wait_until
from .conftest import SpawnWorker, markers

SOURCE = '''\
"""A task limited to one run per customer that hangs on its first run only."""

import asyncio
import os
from pathlib import Path
from typing import Annotated

from docket import ConcurrencyLimit

OUT = Path(os.environ.get("CLI_TEST_OUT", "."))


async def exclusive(name: str, customer: Annotated[int, ConcurrencyLimit(1)]) -> None:
    first = not any(OUT.glob("*.started.*"))
    (OUT / f"{name}.started.{os.getpid()}").write_text("")
    if first:
        await asyncio.sleep(3600)
    (OUT / f"{name}.done.{os.getpid()}").write_text("")


tasks = [exclusive]
'''


@pytest.fixture
def tasks_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "admission_tasks.py").write_text(SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "admission_tasks"


async def test_a_killed_workers_slot_frees_and_the_parked_run_goes_on(
    cli_docket: Docket, spawn_worker: SpawnWorker, tmp_path: Path
) -> None:
    await cli_docket.add("exclusive")("first", 7)
    first = await spawn_worker("--redelivery-timeout", "1s")
    await wait_until(lambda: bool(markers(tmp_path, "first", "started")), what="the first run")
    await cli_docket.add("exclusive")("second", 7)
    await first.wait_for_log("parked exclusive")  # held back by the first run's slot

    first.send(signal.SIGKILL)
    assert await first.wait_for_exit() == -signal.SIGKILL

    second = await spawn_worker("--redelivery-timeout", "1s", "--until-finished")
    assert await second.wait_for_exit(within=30) == 0, second.log()
    assert markers(tmp_path, "first", "done") == [second.pid]
    assert markers(tmp_path, "second", "done") == [second.pid]
