"""The scheduler: moves parked executions into the stream when they fall due."""

import asyncio
import logging
from collections.abc import Callable

from docket._backends import RedisBackend
from docket._time import now_ms

logger = logging.getLogger("docket.worker")

MOVE_BATCH = 1000
"""Executions moved per script call, so a large backlog never blocks Redis for long."""
MAX_SLEEP = 1.0
"""Longest sleep between checks, in seconds; bounds lateness if a wake-up is ever missed."""


class Scheduler:
    """Sleeps until the earliest parked execution is due, or until woken by an earlier one."""

    def __init__(
        self,
        backend: RedisBackend,
        on_moved: Callable[[], None],
        clock: Callable[[], int] = now_ms,
    ) -> None:
        """`on_moved` is called after each batch that moved something (a write went through);
        `clock` is the docket's (see Docket.now_ms)."""
        self.backend = backend
        self.clock = clock
        self.on_moved = on_moved
        self.wake = asyncio.Event()

    async def run(self) -> None:
        while True:
            now = self.clock()
            moved, head_ms = await self.backend.move_due(now, MOVE_BATCH)
            if moved:
                self.on_moved()
            if moved >= MOVE_BATCH:
                continue
            delay = MAX_SLEEP if head_ms is None else min((head_ms - now) / 1000, MAX_SLEEP)
            if delay > 0:
                try:
                    async with asyncio.timeout(delay):
                        await self.wake.wait()
                except TimeoutError:
                    pass
            self.wake.clear()
