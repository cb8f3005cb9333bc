"""A snapshot while executions wait for a concurrency slot: they are parked at a score no clock
reaches, which is not a due time."""

import asyncio
from typing import Annotated

from docket import ConcurrencyLimit, Docket, Worker

from ..helpers import wait_until


async def test_a_snapshot_with_only_waiters_parked_has_no_next_due(docket: Docket) -> None:
    release = asyncio.Event()
    started: list[str] = []

    async def export(customer: Annotated[str, ConcurrencyLimit(1)]) -> None:
        started.append(customer)
        await release.wait()

    await docket.add(export, key="first")("acme")
    await docket.add(export, key="second")("acme")
    async with Worker(docket, concurrency=4).running():
        await wait_until(lambda: started == ["acme"], what="the first export to start")

        async def parked() -> bool:
            return (await docket.snapshot()).scheduled_count == 1

        await wait_until(parked, what="the second export to wait for the slot")
        snapshot = await docket.snapshot()
        assert snapshot.next_due is None
        assert snapshot.running_count == 1
        release.set()
        await wait_until(lambda: len(started) == 2, what="the second export to run")
