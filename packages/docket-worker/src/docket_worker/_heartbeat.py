"""Heartbeats: every `heartbeat_interval` the worker advertises itself (docket._workers), so
`docket.workers()` lists it until it misses `missed_heartbeats` beats in a row. Each beat also
carries the counts of the runs it finished since the last (see _task_stats)."""

import asyncio
import contextlib
import os
import socket
import time
from typing import TYPE_CHECKING

from docket._time import ms_to_datetime, now_ms
from docket._workers import WorkerInfo, beat_commands, forget_commands, heartbeat_ttl_ms
from redis.exceptions import RedisError

from ._admission import limits_in_use
from ._task_stats import count_commands, depth_commands

if TYPE_CHECKING:
    from ._worker import Worker


class Heartbeat:
    """One worker's heartbeat: beat now, beat on, forget it when the worker stops."""

    def __init__(self, worker: "Worker") -> None:
        self.worker = worker
        self.host = socket.gethostname()
        self.started_ms = now_ms()

    async def beat(self) -> None:
        """Advertise the worker now, with the runs it finished since (one round trip; once a
        minute one more, which samples the docket's depth)."""
        worker, docket = self.worker, self.worker.docket
        info = WorkerInfo(
            name=worker.name,
            last_seen=ms_to_datetime(0),  # the beat writes now instead
            tasks=frozenset(docket.tasks),
            host=self.host,
            pid=os.getpid(),
            started=ms_to_datetime(self.started_ms),
            concurrency=worker.concurrency,
            running=worker.running_count(),
            limits=limits_in_use(worker.shards or [worker]),
        )
        now = now_ms()
        commands = beat_commands(docket.keys, info, heartbeat_ttl_ms(docket), now)
        counts = worker.dispatcher.run_counts
        sampling = counts.wants_depth(now)
        if sampling:
            backlogs = [await view.backend.backlog() for view in docket._views or [docket]]
            queued, parked = sum(b[0] for b in backlogs), sum(b[1] for b in backlogs)
            commands += depth_commands(docket.keys, now, queued, parked)
        taken = counts.take()
        commands += count_commands(docket.keys, taken)
        try:
            replies = await docket.backend.transport.execute_many(commands)
        except BaseException:
            counts.give_back(taken)
            raise
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        if sampling:
            counts.sampled(now)

    async def first_beat(self) -> None:
        """Beat as the worker opens; if Redis fails just now, the loop beats again soon."""
        self.started_ms = now_ms()
        with contextlib.suppress(RedisError, OSError):
            await self.beat()

    async def run(self) -> None:
        """Beat every `heartbeat_interval`, the first one at once (one loop of `Worker._run`,
        kept going through outages by survive_outages)."""
        interval = self.worker.docket.heartbeat_interval.total_seconds()
        while True:
            started = time.monotonic()
            await self.beat()
            self.worker.outage.recovered()
            await asyncio.sleep(max(interval - (time.monotonic() - started), 0))

    async def forget(self) -> None:
        """Remove the worker from the docket's list at once (a clean stop); best effort: if
        Redis is gone, the heartbeat expires on its own."""
        docket = self.worker.docket
        counts = count_commands(docket.keys, self.worker.dispatcher.run_counts.take())
        with contextlib.suppress(RedisError, OSError, RuntimeError):
            await docket.backend.transport.execute_many(
                forget_commands(docket.keys, self.worker.name) + counts
            )
