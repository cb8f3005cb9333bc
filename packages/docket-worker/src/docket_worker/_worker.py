"""Worker: fetches messages of a docket and runs them, a few small loops in one task group."""

import asyncio
import itertools
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Self

from docket import Docket, Execution, MessageDecodeError
from docket._backends import RedisBackend
from docket._backends.redis import Message
from docket._scripts import AckEntry
from docket._speedups import decode_envelope
from docket._time import now_ms
from docket._wire import unpack_arguments

from ._execute import execute
from ._lease import reclaim_abandoned, renew_leases
from ._scheduler import Scheduler

logger = logging.getLogger("docket.worker")

IDLE_BLOCK_MS = 1000
"""How long an idle fetch waits on Redis for new messages before looking around."""
FINISHING_BLOCK_MS = 50
"""In run_until_finished, how often a fetch with tasks still running checks whether it is done."""
ACK_BATCH = 1000

_worker_numbers = itertools.count(1)


def default_worker_name() -> str:
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


class Worker:
    """Runs the tasks of a docket, up to `concurrency` at a time.

    Args:
        docket: an open Docket whose registered tasks this worker runs.
        name: this worker's consumer name (default: ``hostname#pid``).
        concurrency: how many tasks run at once.
        redelivery_timeout: how long a message whose worker died waits before another
            worker runs it; longer than your longest task is safest.
    """

    def __init__(
        self,
        docket: Docket,
        name: str | None = None,
        concurrency: int = 10,
        redelivery_timeout: timedelta = timedelta(minutes=5),
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"Worker(concurrency={concurrency}) must be at least 1.")
        if redelivery_timeout <= timedelta(0):
            raise ValueError(f"Worker(redelivery_timeout={redelivery_timeout!r}) must be positive.")
        self.docket = docket
        self.name = name or default_worker_name()
        self.concurrency = concurrency
        self.redelivery_timeout = redelivery_timeout
        self._held: dict[bytes, None] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._slot_freed = asyncio.Event()
        self._acks: list[AckEntry] = []
        self._acks_ready = asyncio.Event()
        self._reader: RedisBackend | None = None
        self._subscriber: RedisBackend | None = None
        self._counts = {"succeeded": 0, "failed": 0, "retried": 0, "dead_lettered": 0}

    def __repr__(self) -> str:
        return f"Worker(name={self.name!r}, docket={self.docket.name!r})"

    async def __aenter__(self) -> Self:
        backend = self.docket.backend
        await backend.ensure_group()
        self._reader = backend.dedicated()
        self._subscriber = backend.dedicated()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for task in list(self._running):
            task.cancel()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        await self._flush_acks()
        for dedicated in (self._reader, self._subscriber):
            if dedicated is not None:
                await dedicated.close()
        self._reader = self._subscriber = None

    # -- public loop entry points --------------------------------------------------------------

    async def run_forever(self) -> None:
        """Run tasks until cancelled."""
        await self._run(until_finished=False)

    async def run_until_finished(self) -> None:
        """Run tasks until none is due, queued or running; future tasks are waited for."""
        await self._run(until_finished=True)

    def statistics(self) -> WorkerStatistics:
        """What this worker has done so far."""
        return WorkerStatistics(running=len(self._running), **self._counts)

    # -- the loops -----------------------------------------------------------------------------

    async def _run(self, *, until_finished: bool) -> None:
        if self._reader is None or self._subscriber is None:
            raise RuntimeError(f"{self!r} is not open: use `async with Worker(docket) as worker:`.")
        scheduler = Scheduler(self.docket.backend)
        async with asyncio.TaskGroup() as group:
            background = [
                group.create_task(scheduler.listen(self._subscriber)),
                group.create_task(scheduler.run()),
                group.create_task(self._ack_loop()),
                group.create_task(renew_leases(self)),
                group.create_task(reclaim_abandoned(self)),
            ]
            try:
                await self._fetch_loop(self._reader, until_finished)
                if self._running:
                    await asyncio.gather(*self._running)
                await self._flush_acks()
            finally:
                for task in background:
                    task.cancel()

    async def _fetch_loop(self, reader: RedisBackend, until_finished: bool) -> None:
        while True:
            free = self.free_slots()
            if free <= 0:
                await self._slot_freed.wait()
                self._slot_freed.clear()
                continue
            block_ms = FINISHING_BLOCK_MS if until_finished and self._running else IDLE_BLOCK_MS
            messages = await reader.read(self.name, free, block_ms)
            if messages:
                self.start_messages(messages)
            elif until_finished and not self._running and await self._finished():
                return

    async def _finished(self) -> bool:
        await self._flush_acks()
        streamed, parked = await self.docket.backend.backlog()
        return streamed == 0 and parked == 0

    async def _ack_loop(self) -> None:
        while True:
            await self._acks_ready.wait()
            self._acks_ready.clear()
            await self._flush_acks()

    async def _flush_acks(self) -> None:
        while self._acks:
            batch, self._acks = self._acks[:ACK_BATCH], self._acks[ACK_BATCH:]
            skipped = await self.docket.backend.ack(batch, now_ms())
            for entry in batch:
                self._held.pop(entry[1], None)
            for key in skipped:
                logger.warning(
                    "retry of key=%s skipped: the key was replaced or cancelled meanwhile", key
                )

    # -- per message ---------------------------------------------------------------------------

    def free_slots(self) -> int:
        return self.concurrency - len(self._running)

    def held_messages(self) -> list[bytes]:
        """Ids of the messages this worker holds: running, or finished but not yet acked."""
        return list(self._held)

    def start_messages(self, messages: Sequence[Message]) -> None:
        """Decode each message and start running it, or settle it if it cannot run."""
        for message_id, payload in messages:
            self._held[message_id] = None
            if payload is None:
                # The entry was deleted while pending: there is nothing left to run.
                self._settle(("a", message_id, "", "", b"", 0))
                continue
            try:
                execution, arguments = self._decode(message_id, payload)
            except MessageDecodeError as error:
                logger.error("dead-lettered message %s: %s", message_id.decode(), error)
                self._counts["dead_lettered"] += 1
                self._settle(("x", message_id, "", "", str(error), 0))
                continue
            task = asyncio.create_task(self._run_one(execution, arguments))
            self._running.add(task)
            task.add_done_callback(self._task_done)

    def _decode(self, message_id: bytes, payload: bytes) -> tuple[Execution, bytes]:
        _version, key, function_name, when_ms, attempt, token, arguments = decode_envelope(payload)
        function = self.docket.tasks.get(function_name)
        if function is None:
            raise MessageDecodeError(
                f"no task named {function_name!r} is registered on this worker (key={key}): "
                "register it with docket.register() or `docket worker --tasks module:collection`."
            )
        args, kwargs = unpack_arguments(arguments)
        execution = Execution._create(
            function=function,
            function_name=function_name,
            args=args,
            kwargs=kwargs,
            when_ms=when_ms,
            key=key,
            attempt=attempt,
            token=token,
            message_id=message_id,
        )
        return execution, arguments

    async def _run_one(self, execution: Execution, arguments: bytes) -> None:
        outcome, entry = await execute(self, execution, arguments)
        self._counts[outcome] += 1
        self._settle(entry)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._slot_freed.set()

    def _settle(self, entry: AckEntry) -> None:
        self._acks.append(entry)
        self._acks_ready.set()
