"""The fetch loop: read as many messages as there are free slots (and a bounded prefetch, see
_prefetch.py), waking the moment one frees."""

import time
from typing import TYPE_CHECKING

from docket._backends import RedisBackend
from redis.exceptions import ResponseError

from ._prefetch import Prefetch

if TYPE_CHECKING:
    from ._worker import Worker

IDLE_BLOCK_MS = 1000
"""How long a fetch waits on Redis for new messages before looking around (and at stop())."""
FINISHING_BLOCK_MS = 50
"""In run_until_finished, how long a fetch waits before checking again whether all is done."""


async def fetch_loop(worker: "Worker", reader: RedisBackend, until_finished: bool) -> None:
    """Fetch and start messages until the worker stops, or (until_finished) nothing is left."""
    dispatcher = worker.dispatcher
    prefetch = Prefetch(worker.concurrency)
    block_ms: int | None = FINISHING_BLOCK_MS if until_finished else IDLE_BLOCK_MS
    while not worker.stopping:
        free = dispatcher.free_slots()
        if free > 0 and prefetch.waiting:
            dispatcher.start(prefetch.take(free))
            continue
        worker.interruptible = True
        try:
            if free <= 0:
                await dispatcher.slot_freed.wait()
                dispatcher.slot_freed.clear()
                continue
            worker.reading_since = time.monotonic()  # the health check spots a hung read
            count = prefetch.count(free, worker.concurrency)
            messages = await reader.read(worker.name, count, block_ms)
        except ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
            await worker.docket.backend.ensure_group()  # Redis lost its data (a restart)
            continue
        finally:
            worker.interruptible = False
            worker.reading_since = None
        worker.outage.recovered()
        if until_finished:
            # While messages keep coming, look without waiting, so the end is noticed at once.
            block_ms = None if messages else FINISHING_BLOCK_MS
        free = max(dispatcher.free_slots(), 0)  # other shards may have taken slots meanwhile
        if len(messages) > free:
            messages = prefetch.keep(messages, free, dispatcher.held)
        if messages:
            dispatcher.start(messages)
        elif until_finished and not dispatcher.running and await finished(worker):
            return


async def finished(worker: "Worker") -> bool:
    """True when no task is due, queued, running or waiting for its ack anywhere (on any
    shard of a sharded docket: a task on one may add work to another)."""
    workers = worker.root.shards or [worker]
    for each in workers:
        await each.dispatcher.flush()
        if each.dispatcher.running:
            return False
    for each in workers:
        streamed, parked = await each.docket.backend.backlog()
        if streamed or parked:
            return False
    return True
