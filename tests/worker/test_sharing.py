"""Workers of one docket share its work, also in one process on memory://."""

import asyncio
import collections
import uuid

from docket import CurrentWorker, Docket, Worker


async def test_two_single_slot_workers_share_tasks_that_never_wait(docket_url: str) -> None:
    ran: collections.Counter[str] = collections.Counter()

    async def instant(n: int, worker: Worker = CurrentWorker()) -> None:
        ran[worker.name] += 1

    name = f"share-{uuid.uuid4().hex}"
    async with Docket(name, docket_url) as first, Docket(name, docket_url) as second:
        for docket in (first, second):
            docket.register(instant)
        await first.add_many(first.call(instant)(n) for n in range(100))
        one = Worker(first, name="one", concurrency=1)
        two = Worker(second, name="two", concurrency=1)
        async with one, two:
            await asyncio.wait_for(
                asyncio.gather(one.run_until_finished(), two.run_until_finished()), timeout=30
            )

    assert sum(ran.values()) == 100
    assert min(ran["one"], ran["two"]) >= 25, ran
