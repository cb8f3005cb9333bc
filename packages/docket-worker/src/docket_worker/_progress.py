"""The worker's progress writer: the latest progress of all its running tasks, sent together.

A task's `progress.increment()` only changes its ExecutionProgress and marks it here; every
FLUSH_EVERY seconds the marked ones go out in one script call (progress.lua), so a loop of a
million increments costs a handful of round trips, and a reader sees the latest value within
FLUSH_EVERY plus a round trip.
"""

import asyncio
import logging
from typing import TYPE_CHECKING

from docket._progress import ExecutionProgress
from docket._time import now_ms
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from ._worker import Worker

logger = logging.getLogger("docket.worker")

FLUSH_EVERY = 0.05
"""Seconds between progress writes (readers are promised the latest within 100 ms)."""


class ProgressWriter:
    """Batches the progress of one worker's tasks."""

    def __init__(self, worker: "Worker") -> None:
        self.worker = worker
        self.marked: dict[int, ExecutionProgress] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._due_at = 0.0
        self._flushing: set[asyncio.Task[None]] = set()

    def mark(self, progress: ExecutionProgress) -> bool:
        """Note a change, to be sent within FLUSH_EVERY; True when the timer is overdue (the
        task kept the loop from running it), so the caller sends the batch itself."""
        self.marked[id(progress)] = progress
        loop = asyncio.get_running_loop()
        if self._timer is None:
            self._due_at = loop.time() + FLUSH_EVERY
            self._timer = loop.call_at(self._due_at, self._due)
            return False
        return loop.time() > self._due_at

    def _due(self) -> None:
        self._timer = None
        task = asyncio.create_task(self.flush())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def flush(self, progress: ExecutionProgress | None = None) -> None:
        """Send what is marked (only `progress`, if given: a task that ended)."""
        if progress is not None:
            if self.marked.pop(id(progress), None) is None:
                return
            batch = [progress]
        else:
            batch, self.marked = list(self.marked.values()), {}
            if self._timer is not None:  # sent now: the next change starts a new wait
                self._timer.cancel()
                self._timer = None
        if not batch:
            return
        updates = [
            (p.key, p.token, "" if p.current is None else str(p.current), p.total, p.message or "")
            for p in batch
        ]
        try:
            await self.worker.docket.backend.write_progress(now_ms(), updates)
        except (RedisError, OSError) as error:  # progress is advisory: the task goes on
            logger.warning("could not write the progress of %d task(s): %s", len(batch), error)
