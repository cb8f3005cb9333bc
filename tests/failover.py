"""Tasks flowing through a failover: a producer adds keyed tasks while a worker runs them, and
the docket's master is taken away halfway; used by the cluster and the Sentinel tests."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from docket import Docket, DocketConnectionError, Worker
from docket._docket_options import Durability

from .helpers import wait_until

FLOW_SECONDS = 10.0
"""Tasks flow at least this long, and on until an add went through after the failure..."""
RECOVERY_DEADLINE = 45.0
"""... or this long at most (with durability="replicated", adds wait until the set-up has a
replica again: the killed master restarted and resynced as the new master's replica)."""
FAIL_AFTER_SECONDS = 2.0


@dataclass
class Flow:
    """What the producer and the worker saw."""

    acknowledged: set[int] = field(default_factory=set)
    refused: int = 0
    ran: set[int] = field(default_factory=set)
    failed_at: float = 0.0
    first_add_after: float | None = None
    first_run_after: float | None = None

    @property
    def lost(self) -> set[int]:
        return self.acknowledged - self.ran

    def summary(self, what: str) -> str:
        producers = "never" if self.first_add_after is None else f"{self.first_add_after:.1f} s"
        workers = "never" if self.first_run_after is None else f"{self.first_run_after:.1f} s"
        return (
            f"{what}: {len(self.acknowledged)} acknowledged adds, {len(self.lost)} lost, "
            f"{self.refused} refused; producers back after {producers}, workers after {workers}"
        )


Failure = Callable[[Docket], Awaitable[Callable[[], Awaitable[None]]]]
"""Takes the docket's master away; returns how to wait until the set-up is whole again."""


async def flow_through_failover(url: str, durability: Durability, fail: Failure) -> Flow:
    flow = Flow()

    async def record(n: int) -> None:
        flow.ran.add(n)
        if flow.failed_at and flow.first_run_after is None:
            flow.first_run_after = time.monotonic() - flow.failed_at

    name = f"failover-{uuid.uuid4().hex[:8]}"
    async with Docket(name, url, durability=durability) as docket:
        docket.register(record)
        async with Worker(docket, concurrency=20) as worker:
            running = asyncio.create_task(worker.run_forever())
            whole: Callable[[], Awaitable[None]] | None = None
            started, n = time.monotonic(), 0
            while (elapsed := time.monotonic() - started) < FLOW_SECONDS or (
                flow.first_add_after is None and elapsed < RECOVERY_DEADLINE
            ):
                if whole is None and time.monotonic() - started > FAIL_AFTER_SECONDS:
                    whole = await fail(docket)
                    flow.failed_at = time.monotonic()
                try:
                    await docket.add(record, key=f"task-{n}")(n)
                except DocketConnectionError:
                    flow.refused += 1
                else:
                    flow.acknowledged.add(n)
                    if flow.failed_at and flow.first_add_after is None:
                        flow.first_add_after = time.monotonic() - flow.failed_at
                n += 1
                await asyncio.sleep(0.005)
            assert whole is not None
            await whole()
            if durability == "replicated":
                await wait_until(
                    lambda: flow.acknowledged <= flow.ran, within=30, what="every acknowledged add"
                )
            else:  # some adds may be lost: give the rest the time to run
                await wait_until(lambda: n - 1 in flow.ran or not flow.lost, within=10)
            worker.stop()
            await running
    return flow
