"""docket.clear(): queued, scheduled and held work goes, in bounded batches; running tasks
stay, finish, and their keys can be added again."""

from datetime import UTC, datetime, timedelta

from docket import Docket, ExecutionState

from ..conftest import WorkerFactory
from ..helpers import wait_until
from .conftest import Blocker

LATER = timedelta(hours=1)


async def test_clear_removes_pending_work_and_leaves_running_tasks_alone(
    docket: Docket, make_worker: WorkerFactory, blocker: Blocker
) -> None:
    worker = await make_worker(concurrency=1)
    running = await docket.add(blocker.blocked, key="running")(1)
    async with worker.running():
        await wait_until(lambda: blocker.started == 1, what="the first task to start")
        await docket.add(blocker.blocked, key="queued")(2)
        await docket.add(blocker.blocked, when=datetime.now(UTC) + LATER, key="later")(3)

        assert await docket.clear() == 2

        taken = await docket.snapshot()
        assert (taken.running_count, taken.queued_count, taken.scheduled_count) == (1, 0, 0)
        assert [run.key for run in taken.running] == ["running"]
        assert await docket.get_execution("queued") is None
        assert await docket.get_execution("later") is None
        blocker.release.set()
        await running.get_result(timeout=10)  # the running one finished as usual

    assert blocker.started == 1
    await running.sync()
    assert running.state is ExecutionState.COMPLETED


async def test_a_cleared_key_can_be_added_again(docket: Docket) -> None:
    await docket.add("trace", when=datetime.now(UTC) + LATER, key="again")("one")
    assert await docket.clear() == 1

    execution = await docket.add("trace", key="again")("two")

    assert execution.scheduled
    assert (await docket.snapshot()).queued_count == 1


async def test_a_big_docket_is_cleared_in_batches(docket: Docket) -> None:
    later = datetime.now(UTC) + LATER
    await docket.add_many(docket.call("trace")(str(n)) for n in range(1100))
    await docket.add_many(docket.call("trace", when=later)(str(n)) for n in range(550))

    assert await docket.clear() == 1650

    taken = await docket.snapshot()
    assert (taken.total_tasks, taken.queued_count, taken.scheduled_count) == (0, 0, 0)
    assert await docket.clear() == 0


async def test_held_work_is_cleared_too(docket: Docket, make_worker: WorkerFactory) -> None:
    await docket.add("trace", key="struck")("held")
    await docket.strike("trace")
    worker = await make_worker()
    async with worker.running():

        async def held() -> bool:
            return (await docket.snapshot()).held_count == 1

        await wait_until(held, what="the struck task to be held")

    assert await docket.clear() == 1
    assert (await docket.snapshot()).total_tasks == 0
    await docket.restore("trace")
    assert (await docket.snapshot()).total_tasks == 0
