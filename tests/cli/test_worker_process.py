"""`docket worker` as a real process: runs tasks, stops on signals, and never loses work."""

import signal
import time
from collections.abc import Callable
from pathlib import Path

import docket._speedups
import pytest
from docket import Docket

from ..helpers import wait_until
from .conftest import SpawnWorker, markers


def started(directory: Path) -> Callable[[], bool]:
    """Whether the test's task (named "job") has started in some worker."""
    return lambda: markers(directory, "job", "started") != []


def worker_name(log: str) -> str:
    """The name the worker logged in its start-up line."""
    [line] = [line for line in log.splitlines() if "started on docket" in line]
    return line.partition("worker '")[2].partition("'")[0]


SECOND_WORKER = ("--until-finished", "--redelivery-timeout", "1s")
"""A worker that takes over handed-back or abandoned work quickly, then exits."""


async def test_worker_logs_its_settings_then_runs_the_tasks_and_exits_0_when_finished(
    cli_docket: Docket, spawn_worker: SpawnWorker, tmp_path: Path, redis_url: str
) -> None:
    for number in range(3):
        await cli_docket.add("record")(f"job{number}")

    worker = await spawn_worker("--until-finished", "--name", "cli-test", "--concurrency", "3")

    assert await worker.wait_for_exit() == 0, worker.log()
    assert [markers(tmp_path, f"job{n}", "done") for n in range(3)] == [[worker.pid]] * 3
    [line] = [line for line in worker.log().splitlines() if "started on docket" in line]
    assert f"docket {cli_docket.name!r} at {redis_url}" in line
    assert "worker 'cli-test'" in line
    assert "concurrency 3" in line
    assert "tasks: record, slow, stubborn, which_loop" in line
    assert f"speedups: {docket._speedups.IMPLEMENTATION} ({docket._speedups.REASON})" in line


async def test_python_dash_m_docket_cli_runs_a_worker_too(
    cli_docket: Docket, spawn_worker: SpawnWorker, tmp_path: Path
) -> None:
    await cli_docket.add("record")("job")

    worker = await spawn_worker("--until-finished", module="docket_cli")

    assert await worker.wait_for_exit() == 0, worker.log()
    assert markers(tmp_path, "job", "done") == [worker.pid]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
async def test_stop_signal_lets_the_running_task_finish_then_exits_0(
    signum: signal.Signals, cli_docket: Docket, spawn_worker: SpawnWorker, tmp_path: Path
) -> None:
    await cli_docket.add("slow")("job", 1.0)
    worker = await spawn_worker()  # the default --shutdown-timeout: 30s
    await wait_until(started(tmp_path), within=20, what="the task to start")

    worker.send(signum)

    # Well within the grace period: the worker leaves as soon as its task is done.
    assert await worker.wait_for_exit(within=10) == 0, worker.log()
    assert markers(tmp_path, "job", "done") == [worker.pid]
    assert f"{signum.name}: stopping" in worker.log()
    assert f"worker {worker_name(worker.log())!r} stopped" in worker.log()


async def test_task_outliving_the_shutdown_timeout_is_handed_back_and_run_by_another_worker(
    cli_docket: Docket, spawn_worker: SpawnWorker, tmp_path: Path
) -> None:
    await cli_docket.add("stubborn")("job")
    first = await spawn_worker("--shutdown-timeout", "500ms")
    await wait_until(started(tmp_path), within=20, what="the task to start")

    signalled = time.monotonic()
    first.send(signal.SIGTERM)

    assert await first.wait_for_exit() == 0, first.log()
    assert time.monotonic() - signalled >= 0.5
    assert markers(tmp_path, "job", "done") == []
    assert "handing back 1 task(s)" in first.log()

    second = await spawn_worker(*SECOND_WORKER)
    assert await second.wait_for_exit() == 0, second.log()
    assert markers(tmp_path, "job", "done") == [second.pid]


@pytest.mark.parametrize(
    ("first_signal", "second_signal"),
    [(signal.SIGINT, signal.SIGTERM), (signal.SIGHUP, signal.SIGHUP)],
    ids=["SIGINT-SIGTERM", "SIGHUP-SIGHUP"],
)
async def test_second_signal_exits_at_once_with_130_and_the_task_is_run_later(
    first_signal: signal.Signals,
    second_signal: signal.Signals,
    cli_docket: Docket,
    spawn_worker: SpawnWorker,
    tmp_path: Path,
) -> None:
    await cli_docket.add("stubborn")("job")
    first = await spawn_worker("--shutdown-timeout", "1h")
    await wait_until(started(tmp_path), within=20, what="the task to start")
    first.send(first_signal)
    await first.wait_for_log(f"{first_signal.name}: stopping")

    first.send(second_signal)

    assert await first.wait_for_exit() == 130, first.log()
    second = await spawn_worker(*SECOND_WORKER)
    assert await second.wait_for_exit() == 0, second.log()
    assert markers(tmp_path, "job", "done") == [second.pid]


async def test_task_of_a_killed_worker_is_run_by_another_after_the_redelivery_timeout(
    cli_docket: Docket, spawn_worker: SpawnWorker, tmp_path: Path
) -> None:
    await cli_docket.add("stubborn")("job")
    first = await spawn_worker()
    await wait_until(started(tmp_path), within=20, what="the task to start")

    first.send(signal.SIGKILL)
    assert await first.wait_for_exit() == -signal.SIGKILL

    second = await spawn_worker(*SECOND_WORKER)
    assert await second.wait_for_exit() == 0, second.log()
    assert markers(tmp_path, "job", "done") == [second.pid]
