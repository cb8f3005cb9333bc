"""Graceful stop: let running tasks finish within a grace period, hand back the rest."""

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from redis.exceptions import ResponseError

from ._outage import CONNECTION_ERRORS

if TYPE_CHECKING:
    from docket._backends import RedisBackend

    from ._worker import Worker

logger = logging.getLogger("docket.worker")

HANDBACK_BATCH = 500


async def finish_running(worker: "Worker", grace: float | None) -> None:
    """Wait up to `grace` seconds for running tasks; cancel those still running after it."""
    running = set(worker.dispatcher.running)
    if not running:
        return
    if grace is None or grace > 0:
        logger.info("waiting up to %s s for %d running task(s)", grace, len(running))
        _done, still_running = await asyncio.wait(running, timeout=grace)
    else:
        still_running = running
    if still_running:
        logger.warning(
            "handing back %d task(s) still running at the shutdown deadline; another worker "
            "will run them",
            len(still_running),
        )
        for task in still_running:
            task.cancel()
        await asyncio.gather(*still_running, return_exceptions=True)


async def stop_reading(worker: "Worker", reader: "RedisBackend") -> None:
    """End the blocking read a stop() interrupted: left on the server, it would take the next
    message (a handed-back one, say) for this worker, which no longer runs anything."""
    try:
        await worker.docket.backend.unblock(reader)
    except (*CONNECTION_ERRORS, ResponseError) as error:  # CLIENT UNBLOCK not allowed (ACL)
        logger.debug("could not end the interrupted read (%s); hand-back still covers it", error)


async def settle_and_hand_back(worker: "Worker") -> None:
    """Send the last acks, then hand back every message still pending for this worker (its
    unfinished tasks, and any a stopped read had taken).

    Messages whose key and token this worker decoded go back on the stream as fresh entries,
    so any idle worker runs them at once; the others (read but never looked at) are marked
    long idle, so the next reclaim sweep of any worker takes them. Best effort: whatever is
    not settled stays pending in Redis and is redelivered anyway.
    """
    with contextlib.suppress(*CONNECTION_ERRORS):
        await worker.dispatcher.flush()
        backend = worker.docket.backend
        held = worker.dispatcher.held
        after = b"-"
        while unfinished := await backend.pending_for(worker.name, after, HANDBACK_BATCH):
            known = [(m, *ids) for m in unfinished if (ids := held.get(m)) is not None]
            handed = await backend.handback(known)
            unknown = [m for m in unfinished if held.get(m) is None]
            await backend.release(worker.name, unknown)
            if handed or unknown:
                logger.info("handed back %d message(s) to the docket", len(known) + len(unknown))
            after = b"(" + unfinished[-1]
        held.clear()
