"""Worker: fetches messages of a docket and runs them, a few small loops in one task group."""

import asyncio
import itertools
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Any, Self

from docket import Docket, DocketConnectionError, DocketOutOfMemoryError
from docket._backends import RedisBackend, note_worker, redact_url
from docket._permissions import permission_error
from docket._perpetual import Perpetual
from docket._strike_follow import following_strikes
from docket._tasks import check_task_function
from docket._transport import out_of_memory
from redis.exceptions import RedisError

from ._automatic import automatic_tasks, keep_seeded, seed
from ._dispatch import Dispatcher
from ._fetch import fetch_loop
from ._health import Health, health_of
from ._heartbeat import Heartbeat
from ._lease import reclaim_abandoned, renew_leases
from ._notices import listen
from ._outage import Outage, survive_outages
from ._progress import ProgressWriter
from ._run_limits import RunLimits
from ._scheduler import Scheduler
from ._sharded import automatic_on_shard, run_shards, shard_workers
from ._shared import close_shared
from ._shutdown import finish_running, settle_and_hand_back, stop_reading
from ._telemetry import WorkerTelemetry, worker_telemetry
from ._worker_dependencies import normalise_dependencies

logger = logging.getLogger("docket.worker")

_worker_numbers = itertools.count(1)
STRIKES_WAIT = 2.0
"""Seconds a starting worker waits for its docket to follow the strikes (docket._strikes)."""


def default_worker_name() -> str:
    """``hostname#pid``, with a suffix for the second and later workers of a process."""
    number = next(_worker_numbers)
    suffix = "" if number == 1 else f".{number}"
    return f"{socket.gethostname()}#{os.getpid()}{suffix}"


@dataclass(frozen=True, slots=True)
class WorkerStatistics:
    """Counts of what a worker has done since it started."""

    running: int
    succeeded: int
    failed: int
    retried: int
    dead_lettered: int
    cancelled: int = 0
    """Runs stopped by `docket.cancel` (or a replace with running="cancel")."""


class Worker:
    """Runs the tasks of a docket, up to `concurrency` at a time.

    Whatever a task raises is a failure of that task (retried per its Retry), CancelledError
    included, except KeyboardInterrupt and SystemExit: they stop the worker as `stop()` does,
    and once it has handed back its messages (that task's included) the run re-raises them.

    Args:
        docket: an open Docket whose registered tasks this worker runs.
        name: this worker's consumer name (default: ``hostname#pid``).
        concurrency: how many tasks run at once.
        redelivery_timeout: how long the tasks of a worker that died wait before another
            worker runs them; set it above your longest task.
        shutdown_timeout: after `stop()`, how long running tasks get to finish before they
            are handed back to other workers.
        max_deliveries: a message delivered more times than this without finishing (its
            workers keep dying) goes to the dead-letter stream.
        unknown_task_grace: how long a message for a task this worker does not know is
            offered again (a newer worker may know it) before it is dead-lettered.
        schedule_automatic_tasks: start the chains of the docket's automatic Perpetual and
            Cron tasks (and start them again if one was lost).
        dependencies: dependencies applied around every task this worker runs, by name
            (``{"db": Depends(open_db)}``) or as a sequence of markers.
        fallback_task: called for a message whose task no worker registered, instead of
            offering it again and dead-lettering it after `unknown_task_grace`.
    """

    def __init__(
        self,
        docket: Docket,
        name: str | None = None,
        concurrency: int = 10,
        redelivery_timeout: timedelta = timedelta(minutes=5),
        shutdown_timeout: timedelta = timedelta(seconds=30),
        max_deliveries: int = 5,
        unknown_task_grace: timedelta = timedelta(minutes=5),
        schedule_automatic_tasks: bool = True,
        dependencies: Mapping[str, Any] | Sequence[Any] | None = None,
        fallback_task: Callable[..., Awaitable[None]] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"Worker(concurrency={concurrency}) must be at least 1.")
        if redelivery_timeout <= timedelta(0):
            raise ValueError(f"Worker(redelivery_timeout={redelivery_timeout!r}) must be positive.")
        if max_deliveries < 1:
            raise ValueError(f"Worker(max_deliveries={max_deliveries}) must be at least 1.")
        self.docket = docket
        self.name = name or default_worker_name()
        self.concurrency = concurrency
        self.redelivery_timeout = redelivery_timeout
        self.shutdown_timeout = shutdown_timeout
        self.max_deliveries = max_deliveries
        self.unknown_task_grace = unknown_task_grace
        self.schedule_automatic_tasks = schedule_automatic_tasks
        self.dependencies = dependencies
        normalise_dependencies(dependencies)  # a TypeError here, not at the first task
        self.fallback_task = None if fallback_task is None else check_task_function(fallback_task)
        self.dispatcher = Dispatcher(self)
        self.progress = ProgressWriter(self)
        self.outage = Outage(redact_url(docket.url))
        self.heartbeat = Heartbeat(self)
        self.stopping = False
        self.interruptible = False
        """True while the fetch loop only waits (on Redis or a free slot): stop() may cancel it."""
        self._fetching: asyncio.Task[None] | None = None
        self.reading_since: float | None = None
        """When (time.monotonic) the fetch loop's read in progress began; None between reads."""
        self.telemetry: WorkerTelemetry | None = None
        """Set at opening when an OpenTelemetry SDK is configured (see _telemetry)."""
        self._reader: RedisBackend | None = None
        self._subscriber: RedisBackend | None = None
        note_worker(docket.url)
        self.root = self
        """The worker this one is a shard worker of (see _sharded), or itself."""
        self.shards: list[Worker] = []
        """On a sharded docket, one worker per shard, running under this one's name."""
        if docket._views:
            self.shards = shard_workers(
                self,
                {
                    "redelivery_timeout": redelivery_timeout,
                    "shutdown_timeout": shutdown_timeout,
                    "max_deliveries": max_deliveries,
                    "unknown_task_grace": unknown_task_grace,
                    "schedule_automatic_tasks": schedule_automatic_tasks,
                    "dependencies": dependencies,
                    "fallback_task": fallback_task,
                },
            )

    def __repr__(self) -> str:
        return f"Worker(name={self.name!r}, docket={self.docket.name!r})"

    async def __aenter__(self) -> Self:
        for worker in self.shards or [self]:
            await worker._open_shard()
        if not await following_strikes(self.docket, STRIKES_WAIT):  # before the first fetch
            logger.warning("not following the strikes yet; using those read at opening")
        self.stopping = False
        self.telemetry = worker_telemetry(self)
        for shard in self.shards:
            shard.stopping, shard.telemetry = False, self.telemetry
        await self.heartbeat.first_beat()  # listed in docket.workers() from now on
        return self

    async def _open_shard(self) -> None:
        """Make sure the consumer group exists, and open the dedicated connections."""
        backend = self.docket.backend
        try:
            await self.docket._through_failover(backend.ensure_group)
        except (RedisError, OSError) as error:
            url = redact_url(self.docket.url)
            reason = str(error).rstrip(".") or type(error).__name__
            refused = permission_error(
                error, action="start a worker", url=self.docket.url, docket=self.docket.name
            )
            if refused is not None:
                raise refused from error
            if out_of_memory(error):
                raise DocketOutOfMemoryError(
                    f"cannot start a worker on docket {self.docket.name!r}: Redis at {url} is "
                    f"out of memory and the docket has no consumer group yet ({reason}). Free "
                    "memory or raise maxmemory, then start it again."
                ) from error
            raise DocketConnectionError(
                f"cannot start a worker on docket {self.docket.name!r} at {url}: {reason}. "
                "Check that the server is up, then start it again."
            ) from error
        self._reader = backend.dedicated()
        self._subscriber = backend.dedicated()

    def _automatic_tasks(self) -> list[tuple[Callable[..., Any], Perpetual]]:
        tasks = automatic_tasks(self) if self.schedule_automatic_tasks else []
        return tasks if self.root is self else automatic_on_shard(self, tasks)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for worker in self.shards or [self]:
            await finish_running(worker, grace=0)
            await settle_and_hand_back(worker)
            for dedicated in (worker._reader, worker._subscriber):
                if dedicated is not None:
                    await dedicated.close()
            worker._reader = worker._subscriber = None
        await self.heartbeat.forget()
        await close_shared(self)

    # -- public --------------------------------------------------------------------------------

    async def run_forever(self) -> None:
        """Run tasks until `stop()` (then finish or hand back running ones) or cancellation."""
        await self._run(until_finished=False)

    async def run_until_finished(self) -> None:
        """Run tasks until none is due, queued or running; future tasks are waited for."""
        await self._run(until_finished=True)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Self]:
        """Run tasks in the background for the length of an ``async with`` block.

        On leaving the block the worker stops as `stop()` does: running tasks get
        `shutdown_timeout` to finish, the rest goes back to the docket. The worker is opened
        here if it is not open yet. If `run_forever` fails, leaving the block raises it.
        """
        if (self.shards or [self])[0]._reader is not None:
            async with self._background():
                yield self
            return
        async with self, self._background():
            yield self

    @asynccontextmanager
    async def _background(self) -> AsyncIterator[None]:
        run = asyncio.create_task(self.run_forever(), name=f"docket worker {self.name}")
        try:
            yield
        finally:
            self.stop()
            try:
                await run
            finally:
                self.stopping = False  # an open worker can run again after the block

    async def run_at_most(self, iterations_by_key: Mapping[str, int]) -> None:
        """Run until finished, but run each of these keys at most so many times: for tests of
        Perpetual tasks and other chains, which would otherwise never finish. A key's
        executions past its count are acknowledged without running, and a Perpetual's last
        allowed run schedules no next one."""
        limits = RunLimits(iterations_by_key)
        for worker in self.shards or [self]:
            worker.dispatcher.run_limits = limits
        try:
            await self.run_until_finished()
        finally:
            for worker in self.shards or [self]:
                worker.dispatcher.run_limits = None

    def stop(self) -> None:
        """Stop fetching; running tasks get `shutdown_timeout` to finish. Safe from signal
        handlers (``loop.add_signal_handler``)."""
        self.stopping = True
        if self._fetching is not None and self.interruptible:
            self._fetching.cancel()
        for shard in self.shards:
            shard.stop()

    def health(self) -> Health:
        """Whether this worker is running, connected and fetching (`docket worker
        --healthcheck-port` serves it), and if not, why."""
        if self.shards:
            unwell = [h for h in map(health_of, self.shards) if not h.ok]
            return unwell[0] if unwell else Health(True, "ok")
        return health_of(self)

    def statistics(self) -> WorkerStatistics:
        """What this worker has done so far."""
        counts = dict.fromkeys(self.dispatcher.counts, 0)
        for worker in self.shards or [self]:
            for name, count in worker.dispatcher.counts.items():
                counts[name] += count
        return WorkerStatistics(running=self.running_count(), **counts)

    def running_count(self) -> int:
        """How many tasks run now (on every shard)."""
        return sum(len(worker.dispatcher.running) for worker in self.shards or [self])

    # -- the loops -----------------------------------------------------------------------------

    async def _run(self, *, until_finished: bool) -> None:
        if self.shards:
            await run_shards(self, until_finished)
            return
        reader, subscriber = self._reader, self._subscriber
        if reader is None or subscriber is None:
            raise RuntimeError(f"{self!r} is not open: use `async with Worker(docket) as worker:`.")
        automatic = self._automatic_tasks()
        if automatic:  # before the first read, so run_until_finished sees them
            await survive_outages(self.outage, lambda: seed(self, automatic))
        scheduler = Scheduler(
            self.docket.backend, on_moved=self.outage.wrote, clock=self.docket.now_ms
        )
        loops: list[Callable[[], Awaitable[None]]] = [
            lambda: listen(self, subscriber, scheduler),
            scheduler.run,
            self.dispatcher.ack_loop,
            lambda: renew_leases(self),
            lambda: reclaim_abandoned(self),
        ]
        if self.root is self:  # a shard worker's root beats for all of its shards
            loops.append(self.heartbeat.run)
        if automatic:
            loops.append(lambda: keep_seeded(self, automatic))
        if self.telemetry is not None and self.root is self:
            loops += self.telemetry.loops()
        async with asyncio.TaskGroup() as group:
            background = [group.create_task(survive_outages(self.outage, loop)) for loop in loops]
            try:
                await self._fetch(reader, until_finished)
                await stop_reading(self, reader)
                grace = self.shutdown_timeout.total_seconds() if self.stopping else None
                await finish_running(self, grace)
                await survive_outages(self.outage, self.dispatcher.flush)
            finally:
                for task in background:
                    task.cancel()
        await settle_and_hand_back(self)
        self.dispatcher.raise_stop_request()

    async def _fetch(self, reader: RedisBackend, until_finished: bool) -> None:
        """Run the fetch loop as a task that stop() can interrupt while it only waits."""
        self._fetching = asyncio.create_task(
            survive_outages(self.outage, lambda: fetch_loop(self, reader, until_finished))
        )
        try:
            await self._fetching
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not self.stopping or (current is not None and current.cancelling()):
                raise
        finally:
            self._fetching = None
