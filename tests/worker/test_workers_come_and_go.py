"""Rolling deploys and stopping workers: nothing waits for a redelivery timeout it need not."""

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

from docket import Docket, Worker

from ..helpers import wait_until


async def test_a_stopping_worker_hands_its_tasks_to_an_idle_worker_at_once(
    docket_url: str,
) -> None:
    """With the default five-minute redelivery timeout, the handed-back task runs in a second."""
    started = asyncio.Event()
    finished: list[str] = []

    async def slow(n: int) -> None:
        if not started.is_set():
            started.set()
            await asyncio.sleep(3600)  # the first run is cut short by its worker stopping
        finished.append(f"slow {n}")

    name = f"handback-{uuid.uuid4().hex}"
    async with Docket(name, docket_url) as first, Docket(name, docket_url) as second:
        first.register(slow)
        second.register(slow)
        await first.add(slow, key="slow")(1)
        stopping = Worker(first, shutdown_timeout=timedelta(0))
        idle = Worker(second)
        assert idle.redelivery_timeout == timedelta(minutes=5)
        async with stopping, idle:
            running = asyncio.create_task(stopping.run_forever())
            await asyncio.wait_for(started.wait(), timeout=10)
            standing_by = asyncio.create_task(idle.run_forever())

            stopping.stop()
            await running
            handed_back = time.monotonic()
            await wait_until(lambda: finished == ["slow 1"], within=5, what="the handed-back task")
            assert time.monotonic() - handed_back < 1.0

            idle.stop()
            await standing_by
        assert await first.backend.client.xlen(first.keys.stream) == 0


async def test_a_backlog_of_a_task_only_the_new_worker_knows_is_not_dead_lettered(
    docket_url: str,
) -> None:
    """In a rolling deploy an old worker meets messages of a task it does not know, due long
    ago: it offers them again rather than dead-lettering them, and the new worker runs them."""
    ran: list[int] = []

    async def new_task(n: int) -> None:
        ran.append(n)

    name = f"rolling-{uuid.uuid4().hex}"
    async with Docket(name, docket_url) as old, Docket(name, docket_url) as new:
        new.register(new_task)
        long_ago = datetime.now(UTC) - timedelta(hours=1)
        await new.add_many(new.call(new_task, when=long_ago)(n) for n in range(200))
        # The old worker meets them all first; then the deploy replaces it with the new one.
        old_worker = Worker(old, concurrency=50)
        async with old_worker:
            old_running = asyncio.create_task(old_worker.run_forever())
            await wait_until(lambda: parked(old, 200), what="the old worker to offer them back")
            old_worker.stop()
            await old_running
        async with Worker(new, concurrency=10) as new_worker:
            await asyncio.wait_for(new_worker.run_until_finished(), timeout=30)

        assert sorted(ran) == list(range(200))
        assert await old.dead_letters() == []
        assert old_worker.statistics().dead_lettered == 0


async def parked(docket: Docket, count: int) -> bool:
    return int(await docket.backend.client.zcard(docket.keys.queue)) == count


async def test_a_task_no_worker_runs_for_the_whole_grace_becomes_a_dead_letter(
    docket: Docket,
) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=1)
    await docket.add("nobody_knows_me", when=long_ago, key="orphan")()
    grace = timedelta(seconds=0.5)
    first_seen = time.monotonic()
    async with Worker(docket, unknown_task_grace=grace) as worker:
        running = asyncio.create_task(worker.run_forever())
        await wait_until(
            lambda: worker.statistics().dead_lettered == 1, what="the orphan to be dead-lettered"
        )
        worker.stop()
        await running
    assert time.monotonic() - first_seen >= grace.total_seconds()
    [letter] = await docket.dead_letters()
    assert letter.key == "orphan"
    assert "nobody_knows_me" in letter.reason
    assert letter.function == "nobody_knows_me"
