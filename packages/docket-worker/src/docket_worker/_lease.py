"""Leases: renew the messages this worker holds, and reclaim those whose worker died."""

import asyncio
from typing import TYPE_CHECKING

from docket._backends.redis import Redelivery

from ._admission import renew as renew_slots
from ._sharded_admission import recheck_parked

if TYPE_CHECKING:
    from ._worker import Worker

CLAIM_BATCH = 100


async def renew_leases(worker: "Worker") -> None:
    """Keep the messages of running tasks fresh so no other worker takes them, however long."""
    interval = worker.redelivery_timeout.total_seconds() / 4
    while True:
        await asyncio.sleep(interval)
        held = list(worker.dispatcher.held)
        if held:
            await worker.docket.backend.renew(worker.name, held)
            await renew_slots(worker, worker.dispatcher.slots)
            worker.outage.recovered()


async def reclaim_abandoned(worker: "Worker") -> None:
    """Every half redelivery timeout, walk the whole pending list and run what went idle."""
    interval = worker.redelivery_timeout.total_seconds() / 2
    while True:
        await asyncio.sleep(interval)
        await sweep(worker)
        if worker.root is not worker:  # a shard worker: its waiters whose wake was lost
            await recheck_parked(worker)


async def sweep(worker: "Worker") -> None:
    """Claim idle messages across the whole pending list, as far as free slots allow."""
    timeout_ms = int(worker.redelivery_timeout.total_seconds() * 1000)
    backend = worker.docket.backend
    cursor = b"0-0"
    while not worker.stopping and (free := worker.dispatcher.free_slots()) > 0:
        cursor, messages, redeliveries = await backend.claim_idle(
            worker.name, timeout_ms, cursor, min(free, CLAIM_BATCH)
        )
        worker.outage.recovered()
        if messages:
            unseen = [m for m, _ in messages if m not in redeliveries]
            if unseen:  # the claim raced a change to the pending list: ask for their counts
                for message_id, count in (await backend.delivery_counts(unseen)).items():
                    redeliveries[message_id] = Redelivery("another worker", count)
            worker.dispatcher.start(messages, redeliveries)
        if cursor == b"0-0":
            return
