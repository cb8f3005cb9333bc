"""A worker runs up to `concurrency` tasks at once, on a small fixed number of connections."""

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable

import redis.asyncio
from docket import CurrentDocket, Docket, Worker

from ..helpers import wait_until

StartWorker = Callable[[Worker], "asyncio.Task[None]"]
WorkerFactory = Callable[..., Awaitable[Worker]]


class Gauge:
    """Counts the tasks running right now, and the most seen at once."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.finished = 0

    def __enter__(self) -> None:
        self.now += 1
        self.most = max(self.most, self.now)

    def __exit__(self, *exc_info: object) -> None:
        self.now -= 1
        self.finished += 1


async def test_never_more_than_concurrency_tasks_run_at_once(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    gauge = Gauge()

    async def slow(number: int) -> None:
        with gauge:
            await asyncio.sleep(0.02)

    for number in range(20):
        await docket.add(slow)(number)
    worker = await make_worker(concurrency=3)
    await worker.run_until_finished()

    assert gauge.finished == 20
    assert gauge.most == 3


async def test_a_task_that_fails_frees_its_slot(
    docket: Docket, make_worker: WorkerFactory, start_worker: StartWorker
) -> None:
    ran: list[int] = []

    async def flaky(number: int) -> None:
        ran.append(number)
        if number % 2:
            raise RuntimeError("odd numbers fail")

    for number in range(10):
        await docket.add(flaky)(number)
    start_worker(await make_worker(concurrency=1))
    await wait_until(lambda: len(ran) >= 10, what="all ten tasks to run")

    assert sorted(ran) == list(range(10))


async def test_five_hundred_quick_tasks_all_run_with_concurrency_one_hundred(
    docket: Docket, make_worker: WorkerFactory, start_worker: StartWorker
) -> None:
    gauge = Gauge()

    async def quick(number: int) -> None:
        with gauge:
            await asyncio.sleep(0)

    await asyncio.gather(*(docket.add(quick)(number) for number in range(500)))
    worker = await make_worker(concurrency=100)
    start_worker(worker)
    await wait_until(lambda: gauge.finished >= 500, what="all 500 tasks to run")
    await wait_until(lambda: worker.statistics().succeeded >= 500, what="500 successes")

    assert gauge.finished == 500
    assert gauge.most <= 100
    assert worker.statistics().succeeded == 500


async def connected_clients(monitor: redis.asyncio.Redis) -> int:
    return len(await monitor.client_list())


async def test_worker_uses_a_few_redis_connections_whatever_its_concurrency(
    redis_url: str,
) -> None:
    monitor: redis.asyncio.Redis = redis.asyncio.Redis.from_url(redis_url)
    gauge = Gauge()
    counts: list[int] = []

    async def noop() -> None:
        pass

    async def busy(number: int, docket: Docket = CurrentDocket()) -> None:
        with gauge:
            await asyncio.sleep(0.01)
            await docket.add(noop)()

    async def watch() -> None:
        while True:
            counts.append(await connected_clients(monitor))
            await asyncio.sleep(0.005)

    try:
        before = await connected_clients(monitor)
        async with Docket(name=f"test-{uuid.uuid4().hex}", url=redis_url) as docket:
            docket.register(noop)
            await asyncio.gather(*(docket.add(busy)(number) for number in range(300)))
            async with Worker(docket, concurrency=100) as worker:
                watcher = asyncio.create_task(watch())
                try:
                    await worker.run_until_finished()
                finally:
                    watcher.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await watcher
    finally:
        await monitor.aclose()

    assert gauge.finished == 300
    assert worker.statistics().succeeded == 600
    assert gauge.most > 12, "the worker should run many more tasks at once than it has connections"
    assert counts, "the connections were never counted"
    assert max(counts) - before <= 12, (before, max(counts))
