"""`docket worker --loop uvloop|asyncio`: runs tasks on the chosen loop and says which."""

from pathlib import Path

import pytest
from docket import Docket

from .conftest import SpawnWorker, WorkerProcess, markers


def startup_line(worker: WorkerProcess) -> str:
    [line] = [line for line in worker.log().splitlines() if "started on docket" in line]
    return line


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
async def test_chosen_loop_runs_the_tasks_and_is_named_in_the_startup_line(
    loop: str, cli_docket: Docket, spawn_worker: SpawnWorker, tmp_path: Path
) -> None:
    await cli_docket.add("which_loop")("job")

    worker = await spawn_worker("--until-finished", "--loop", loop)

    assert await worker.wait_for_exit() == 0, worker.log()
    assert markers(tmp_path, "job", loop) == [worker.pid]
    assert f"; loop: {loop};" in startup_line(worker)


async def test_uvloop_is_the_default_when_installed(
    cli_docket: Docket, spawn_worker: SpawnWorker, tmp_path: Path
) -> None:
    await cli_docket.add("which_loop")("job")

    worker = await spawn_worker("--until-finished")

    assert await worker.wait_for_exit() == 0, worker.log()
    assert markers(tmp_path, "job", "uvloop") == [worker.pid]
    assert "; loop: uvloop;" in startup_line(worker)


async def test_loop_is_read_from_the_environment(
    cli_docket: Docket, spawn_worker: SpawnWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await cli_docket.add("which_loop")("job")
    monkeypatch.setenv("DOCKET_WORKER_LOOP", "asyncio")

    worker = await spawn_worker("--until-finished")

    assert await worker.wait_for_exit() == 0, worker.log()
    assert markers(tmp_path, "job", "asyncio") == [worker.pid]


async def test_without_uvloop_the_default_is_asyncio(
    cli_docket: Docket, spawn_worker: SpawnWorker, tmp_path: Path
) -> None:
    await cli_docket.add("which_loop")("job")

    worker = await spawn_worker("--until-finished", hide=["uvloop"])

    assert await worker.wait_for_exit() == 0, worker.log()
    assert markers(tmp_path, "job", "asyncio") == [worker.pid]
    assert "; loop: asyncio;" in startup_line(worker)


async def test_asking_for_uvloop_without_it_is_one_line_naming_the_extra(
    spawn_worker: SpawnWorker,
) -> None:
    worker = await spawn_worker("--until-finished", "--loop", "uvloop", hide=["uvloop"])

    assert await worker.wait_for_exit() == 1, worker.log()
    assert worker.log().strip().splitlines() == [
        "Error: --loop uvloop needs the uvloop package: `uv add uvloop` "
        "(docket-cli's uvloop extra)."
    ]
