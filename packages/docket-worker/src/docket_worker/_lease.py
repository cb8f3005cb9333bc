"""Leases: renew the messages this worker holds, and reclaim those whose worker died."""

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._worker import Worker

CLAIM_BATCH = 100


async def renew_leases(worker: "Worker") -> None:
    """Keep the messages of running tasks fresh so no other worker takes them, however long."""
    interval = worker.redelivery_timeout.total_seconds() / 4
    while True:
        await asyncio.sleep(interval)
        held = worker.held_messages()
        if held:
            await worker.docket.backend.renew(worker.name, held)


async def reclaim_abandoned(worker: "Worker") -> None:
    """Every half redelivery timeout, walk the whole pending list and run what has gone idle."""
    timeout_ms = int(worker.redelivery_timeout.total_seconds() * 1000)
    interval = worker.redelivery_timeout.total_seconds() / 2
    backend = worker.docket.backend
    while True:
        await asyncio.sleep(interval)
        cursor = b"0-0"
        while (free := worker.free_slots()) > 0:
            cursor, messages = await backend.claim_idle(
                worker.name, timeout_ms, cursor, min(free, CLAIM_BATCH)
            )
            worker.start_messages(messages)
            if cursor in (b"0-0", "0-0"):
                break
