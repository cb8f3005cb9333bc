"""Leases: renew the messages this worker holds, and reclaim those whose worker died."""

import asyncio
from typing import TYPE_CHECKING

from docket import MessageDecodeError
from docket._backends.redis import Message
from docket._speedups import decode_envelope

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
            worker.outage.recovered()


async def reclaim_abandoned(worker: "Worker") -> None:
    """Every half redelivery timeout, walk the whole pending list and run what went idle."""
    interval = worker.redelivery_timeout.total_seconds() / 2
    while True:
        await asyncio.sleep(interval)
        await sweep(worker)


async def sweep(worker: "Worker") -> None:
    """Claim idle messages across the whole pending list, as far as free slots allow."""
    timeout_ms = int(worker.redelivery_timeout.total_seconds() * 1000)
    backend = worker.docket.backend
    cursor = b"0-0"
    while not worker.stopping and (free := worker.dispatcher.free_slots()) > 0:
        cursor, messages = await backend.claim_idle(
            worker.name, timeout_ms, cursor, min(free, CLAIM_BATCH)
        )
        worker.outage.recovered()
        if messages:
            worker.dispatcher.start(await _without_poison(worker, messages))
        if cursor in (b"0-0", "0-0"):
            return


async def _without_poison(worker: "Worker", messages: list[Message]) -> list[Message]:
    """Dead-letter messages delivered more than max_deliveries times; return the rest."""
    counts = await worker.docket.backend.delivery_counts([m for m, _ in messages])
    runnable = []
    for message_id, payload in messages:
        delivered = counts.get(message_id, 0)
        if delivered > worker.max_deliveries:
            key, token = _key_and_token(payload)
            worker.dispatcher.held[message_id] = None
            worker.dispatcher.dead_letter(
                message_id,
                key,
                f"delivered {delivered} times without finishing (its worker died or hung each "
                f"time; the limit is max_deliveries={worker.max_deliveries}): fix the task, "
                "then requeue this letter",
                token,
            )
        else:
            runnable.append((message_id, payload))
    return runnable


def _key_and_token(payload: bytes | None) -> tuple[str, str]:
    """The task key and token of a message, so its dead letter releases the key."""
    if payload is None:
        return "", ""
    try:
        envelope = decode_envelope(payload)
    except MessageDecodeError:
        return "", ""
    return envelope[1], envelope[5]
