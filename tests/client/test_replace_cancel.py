"""docket.replace and docket.cancel: change or remove the pending execution of a key."""

import asyncio
from datetime import timedelta

from docket import Docket, Retry, Worker

from ..helpers import wait_until
from ._support import running, soon, tomorrow


async def test_replace_moves_a_scheduled_task_to_a_new_time_with_new_arguments(
    docket: Docket, worker: Worker
) -> None:
    runs: list[str] = []

    async def send(name: str) -> None:
        runs.append(name)

    await docket.add(send, when=tomorrow(), key="followup")("Jane Smith")
    execution = await docket.replace(send, when=soon(), key="followup")("Jane Q. Smith")
    await worker.run_until_finished()

    assert runs == ["Jane Q. Smith"]
    assert execution.key == "followup"


async def test_replace_with_a_later_time_postpones_the_task(docket: Docket, worker: Worker) -> None:
    runs: list[str] = []

    async def send(name: str) -> None:
        runs.append(name)

    await docket.add(send, when=soon(20), key="followup")("postponed")
    await docket.replace(send, when=tomorrow(), key="followup")("postponed")
    await docket.add(send, when=soon(60))("marker")

    async with running(worker):
        await wait_until(lambda: "marker" in runs, what="the marker task")

    assert runs == ["marker"]
    assert await docket.cancel("followup") is True


async def test_replace_of_a_queued_task_runs_only_the_replacement(
    docket: Docket, worker: Worker
) -> None:
    runs: list[str] = []

    async def send(name: str) -> None:
        runs.append(name)

    await docket.add(send, key="now")("original")
    await docket.replace(send, when=soon(0), key="now")("replacement")
    await worker.run_until_finished()

    assert runs == ["replacement"]


async def test_replace_of_an_unknown_key_schedules_it(docket: Docket, worker: Worker) -> None:
    runs: list[str] = []

    async def send(name: str) -> None:
        runs.append(name)

    await docket.replace(send, when=soon(), key="fresh")("Jane")
    await worker.run_until_finished()

    assert runs == ["Jane"]


async def test_replace_while_running_lets_the_running_copy_finish_and_runs_the_new_one(
    docket: Docket, worker: Worker
) -> None:
    release = asyncio.Event()
    runs: list[str] = []
    finished: list[str] = []

    async def step(label: str) -> None:
        runs.append(label)
        if label == "old":
            await release.wait()
        finished.append(label)

    await docket.add(step, key="step")("old")
    done = asyncio.create_task(worker.run_until_finished())
    await wait_until(lambda: runs == ["old"], what="the old copy to start")

    await docket.replace(step, when=soon(0), key="step")("new")
    await wait_until(lambda: finished == ["new"], what="the replacement to run")
    release.set()
    await asyncio.wait_for(done, timeout=10)

    assert runs == ["old", "new"]
    assert finished == ["new", "old"]
    assert await docket.backend.backlog() == (0, 0)


async def test_cancel_of_a_scheduled_task_returns_true_and_it_never_runs(
    docket: Docket, worker: Worker
) -> None:
    runs: list[str] = []

    async def send(name: str) -> None:
        runs.append(name)

    await docket.add(send, when=soon(20), key="followup")("cancelled")
    await docket.add(send, when=soon(60))("kept")

    cancelled = await docket.cancel("followup")
    await worker.run_until_finished()

    assert cancelled is True
    assert runs == ["kept"]


async def test_cancel_of_a_queued_task_returns_true_and_it_never_runs(
    docket: Docket, worker: Worker
) -> None:
    runs: list[str] = []

    async def send(name: str) -> None:
        runs.append(name)

    await docket.add(send, key="now")("cancelled")
    await docket.add(send)("kept")

    cancelled = await docket.cancel("now")
    await worker.run_until_finished()

    assert cancelled is True
    assert runs == ["kept"]


async def test_cancel_of_an_unknown_key_returns_false(docket: Docket) -> None:
    assert await docket.cancel("never-scheduled") is False


async def test_cancel_a_second_time_returns_false(docket: Docket) -> None:
    async def send(name: str) -> None: ...

    await docket.add(send, when=tomorrow(), key="followup")("Jane")

    assert await docket.cancel("followup") is True
    assert await docket.cancel("followup") is False


async def test_cancel_with_running_finish_lets_a_running_task_finish_and_returns_false(
    docket: Docket, worker: Worker
) -> None:
    release = asyncio.Event()
    finished: list[str] = []

    async def slow() -> None:
        await release.wait()
        finished.append("slow")

    await docket.add(slow, key="slow")()
    done = asyncio.create_task(worker.run_until_finished())
    await wait_until(lambda: worker.statistics().running == 1, what="the task to start")

    cancelled = await docket.cancel("slow", running="finish")
    release.set()
    await asyncio.wait_for(done, timeout=10)

    assert cancelled is False
    assert finished == ["slow"]


async def test_cancel_while_running_stops_the_tasks_remaining_retries(
    docket: Docket, worker: Worker
) -> None:
    release = asyncio.Event()
    attempts: list[int] = []

    async def flaky(retry: Retry = Retry(attempts=3, delay=timedelta(milliseconds=10))) -> None:
        attempts.append(retry.attempt)
        await release.wait()
        raise ValueError("whoops!")

    await docket.add(flaky, key="flaky")()
    done = asyncio.create_task(worker.run_until_finished())
    await wait_until(lambda: attempts == [1], what="the first attempt to start")

    await docket.cancel("flaky", running="finish")
    release.set()
    await asyncio.wait_for(done, timeout=10)

    assert attempts == [1]


async def test_a_cancelled_key_can_be_scheduled_again(docket: Docket, worker: Worker) -> None:
    runs: list[str] = []

    async def send(name: str) -> None:
        runs.append(name)

    await docket.add(send, when=tomorrow(), key="followup")("cancelled")
    await docket.cancel("followup")
    await docket.add(send, key="followup")("again")
    await worker.run_until_finished()

    assert runs == ["again"]


async def test_a_replaced_running_copy_finishing_does_not_remove_its_replacement(
    docket: Docket, worker: Worker
) -> None:
    release = asyncio.Event()
    runs: list[str] = []

    async def step(label: str) -> None:
        runs.append(label)
        if label == "old":
            await release.wait()

    await docket.add(step, key="step")("old")
    done = asyncio.create_task(worker.run_until_finished())
    await wait_until(lambda: runs == ["old"], what="the old copy to start")
    # The old copy finishes (and is acknowledged) well before its replacement is due.
    await docket.replace(step, when=soon(150), key="step")("new")
    release.set()
    await asyncio.wait_for(done, timeout=10)

    assert runs == ["old", "new"]
