"""A docket with a worker running forever in the background, for the latency benchmarks, and
the lateness measurement they share."""

import asyncio
import random
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from docket import Docket, Worker

SEED = 20251125


@dataclass
class Running:
    """An open docket and worker, and how long after its `since_ns` each task started."""

    docket: Docket
    worker: Worker
    runner: "asyncio.Task[None]"
    started: "asyncio.Queue[int]" = field(default_factory=asyncio.Queue)


async def start_worker(url: str, name: str | None = None) -> Running:
    """Open a docket (a fresh one unless `name` is given) and run a worker on it."""
    docket = Docket(name=name or f"bench-{uuid.uuid4().hex}", url=url)
    await docket.__aenter__()
    worker = Worker(docket, concurrency=10)
    await worker.__aenter__()
    running = Running(docket, worker, asyncio.create_task(worker.run_forever()))

    async def record_start(since_ns: int) -> None:
        """Report how long after `since_ns` (wall clock) this task started."""
        running.started.put_nowait(time.time_ns() - since_ns)

    docket.register(record_start)
    await docket.add(record_start)(time.time_ns())  # warm up: script loaded, worker reading
    async with asyncio.timeout(10):
        await running.started.get()
    return running


async def stop_worker(running: Running) -> None:
    running.runner.cancel()
    with suppress(asyncio.CancelledError):
        await running.runner
    await running.worker.__aexit__(None, None, None)
    await running.docket.__aexit__(None, None, None)


async def lateness_ns(running: Running, probes: int, spread: timedelta) -> list[int]:
    """Schedule `probes` tasks due within `spread`, out of order, and return how late each
    started (start minus `when`; negative would be early)."""
    # whole milliseconds, the resolution docket keeps due times in
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    whens = [now + spread * n / probes for n in range(probes)]
    random.Random(SEED).shuffle(whens)  # out of order: earlier ones keep waking the scheduler
    for when in whens:
        when_ns = int(when.timestamp()) * 1_000_000_000 + when.microsecond * 1000
        await running.docket.add("record_start", when=when)(when_ns)
    latenesses: list[int] = []
    async with asyncio.timeout(spread.total_seconds() + 10):
        while len(latenesses) < probes:
            latenesses.append(await running.started.get())
    return latenesses
