"""Fair share: a tenant flooding the docket does not starve one with a few tasks (issue 12)."""

import asyncio
from contextlib import AsyncExitStack
from typing import Annotated

from docket import Docket, Fair, Worker

from ..helpers import wait_until


async def test_a_small_tenant_starts_within_the_first_few_hundred_starts(docket: Docket) -> None:
    starts: list[str] = []

    async def sync(tenant: Annotated[str, Fair(in_flight=20)], n: int) -> None:
        starts.append(tenant)
        await asyncio.sleep(0)

    await docket.add_many(docket.call(sync)("A", n) for n in range(10_000))
    await docket.add_many(docket.call(sync)("B", n) for n in range(10))
    async with AsyncExitStack() as stack:
        for n in range(2):
            await stack.enter_async_context(Worker(docket, name=f"w{n}", concurrency=10).running())
        await wait_until(lambda: starts.count("B") == 10, within=60, what="B's ten runs")
    last_b = max(i for i, tenant in enumerate(starts) if tenant == "B")
    assert last_b < 300, f"B's last task was start number {last_b}"


async def test_a_lone_tenant_gets_every_slot(docket: Docket) -> None:
    running, peak, release = [0], [0], asyncio.Event()

    async def job(tenant: Annotated[str, Fair(in_flight=4)]) -> None:
        running[0] += 1
        peak[0] = max(peak[0], running[0])
        await release.wait()
        running[0] -= 1

    for _ in range(8):
        await docket.add(job)("solo")
    async with Worker(docket, concurrency=10).running():
        await wait_until(lambda: peak[0] == 4, what="four at once")
        release.set()
        await wait_until(lambda: running[0] == 0 and peak[0] == 4, what="the rest")
    assert peak[0] == 4
