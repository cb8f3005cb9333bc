"""In-flight work: turn messages into running tasks, and settle each message exactly once."""

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from docket import Execution, MessageDecodeError
from docket._backends.redis import Message, Redelivery
from docket._codecs import unpack
from docket._kernels import Envelope
from docket._scripts import AckEntry
from docket._time import now_ms, timedelta_to_ms
from redis.exceptions import RedisError

from ._acks import Acks
from ._admission import Rule, Slot, admit, release
from ._batching import Batch
from ._cancels import CancelRequests
from ._execute import execute
from ._intake import envelope_of
from ._outcome import acknowledgement
from ._plan import plan_for
from ._records import started
from ._run_limits import RunLimits
from ._strikes import Holds
from ._task_stats import FOLD_EVERY, RunCounts

ScriptCall = tuple[Sequence[str], Sequence[Any]]

if TYPE_CHECKING:
    from docket._execution import TaskFunction

    from ._worker import Worker

logger = logging.getLogger("docket.worker")

ADMIT_RETRY = 0.5
"""Seconds between tries to admit an execution while Redis is unreachable."""
UNKNOWN_TASK_RETRY_MS = 5000
"""How soon a message for a task this worker does not know is offered again (sooner when
the grace is shorter)."""


class Dispatcher:
    """Holds the messages a worker has taken: running, or finished and waiting to be acked."""

    def __init__(self, worker: "Worker") -> None:
        self.worker = worker
        self.held: dict[bytes, tuple[str, str] | None] = {}
        """Messages taken and not yet settled, with their (key, token) once decoded."""
        self.running: set[asyncio.Task[None]] = set()
        self.slot_freed = asyncio.Event()
        self.acks = Acks(worker)
        self.holds = Holds(worker)
        self.counts = {
            "succeeded": 0,
            "failed": 0,
            "retried": 0,
            "cancelled": 0,
            "dead_lettered": 0,
        }
        self.run_counts = RunCounts()
        """Runs finished since the last heartbeat, per task (a sharded worker's are its root's)."""
        self.cancel_requests = CancelRequests()
        self.signer = worker.docket.signer
        """Verifies every message before it is decoded, when the docket has signing keys."""
        self.records = worker.docket.keeps_records
        """The docket keeps execution records: note each start (see _records)."""
        docket = worker.docket  # its backend exists once it is open: looked up per send
        self.admissions: Batch[ScriptCall, Any] = Batch(
            lambda calls: docket.backend.scripts.admit_many(calls)
        )
        """admit.lua calls, one write per loop turn (see _admission.py)."""
        self.releases: Batch[ScriptCall, Any] = Batch(
            lambda calls: docket.backend.scripts.release_many(calls)
        )
        self.slots: dict[str, list[Slot]] = {}
        """The concurrency slots of running executions, by token (renewed with the leases)."""
        self.windows: dict[str, int] = {}
        """RateLimit keys runs were admitted through, with when their window ends (epoch ms):
        the heartbeat lists them, with the slots' keys (see _admission.limits_in_use)."""
        self.run_limits: RunLimits | None = None
        """While `Worker.run_at_most` runs: how many more runs some keys may have."""
        self.stop_request: BaseException | None = None
        """What a task raised to stop the worker (KeyboardInterrupt, SystemExit)."""
        self.siblings: list[Dispatcher] | None = None
        """The dispatchers of every shard worker sharing this one's slots (see _sharded)."""

    def free_slots(self) -> int:
        if self.siblings is None:
            return self.worker.concurrency - len(self.running)
        return self.worker.concurrency - sum(len(d.running) for d in self.siblings)

    def start(
        self, messages: Sequence[Message], redeliveries: Mapping[bytes, Redelivery] | None = None
    ) -> None:
        """Start running each message, or settle at once those that cannot run.

        `redeliveries` (for messages taken over from another worker) says who held each and
        how often it has been delivered.
        """
        loop = asyncio.get_running_loop()
        for message_id, payload in messages:
            self.held[message_id] = None
            envelope = envelope_of(self, message_id, payload)
            if envelope is None:
                continue
            key, token = envelope[1], envelope[5]
            self.held[message_id] = (key, token)
            redelivery = None if redeliveries is None else redeliveries.get(message_id)
            if redelivery is not None and self._delivered_too_often(
                message_id, redelivery, key, token
            ):
                continue
            try:
                execution, arguments = self._execution(message_id, envelope, redelivery)
            except MessageDecodeError as error:
                # The key and token are known: the dead letter releases the key for new adds.
                self.dead_letter(message_id, key, str(error), token)
                continue
            # A struck one is held, not run: parked in Redis until a restore (_strikes.py).
            if execution is None or self.holds.hold_if_struck(execution):
                continue
            if self.worker.stopping:
                continue  # a task of this batch asked to stop: the rest is handed back
            if (self.cancel_requests.early or self.run_limits) and self._skipped(execution):
                continue
            # Started eagerly: the task runs up to its first await right here, so one that
            # never waits is done without a trip through the event loop.
            assert execution.function is not None
            rules = plan_for(execution.function).admission
            if rules:
                run = self._admitted(execution, arguments, payload or b"", rules)
            else:
                run = self._run(execution, arguments, payload or b"")
            task = asyncio.Task(run, loop=loop, eager_start=True)
            if not task.done():
                self.running.add(task)
                task.add_done_callback(self._task_done)

    def _delivered_too_often(
        self, message_id: bytes, redelivery: Redelivery, key: str, token: str
    ) -> bool:
        """Dead-letter a message whose workers keep dying (or hanging) while they run it."""
        delivered, limit = redelivery.delivery, self.worker.max_deliveries
        if delivered <= limit:
            return False
        self.dead_letter(
            message_id,
            key,
            f"delivered {delivered} times without finishing (its worker died or hung each "
            f"time; the limit is max_deliveries={limit}): fix the task, then requeue this letter",
            token,
        )
        return True

    def _skipped(self, execution: Execution) -> bool:
        """Settle, without running it, an execution whose cancel notice came first, or whose
        key has used up its runs (`Worker.run_at_most`)."""
        limits = self.run_limits
        if limits is not None and not limits.may_run(execution.key):
            logger.info(
                "skipped %s key=%s: its run_at_most count is used up",
                execution.function_name,
                execution.key,
            )
        elif self.cancel_requests.came_early(execution.token):
            logger.info(
                "cancelled %s key=%s before it started", execution.function_name, execution.key
            )
            self.counts["cancelled"] += 1
        else:
            return False
        self.settle(acknowledgement(execution))
        return True

    def dead_letter(self, message_id: bytes, key: str, reason: str, token: str = "") -> None:
        logger.error("dead-lettered message %s (key=%s): %s", message_id.decode(), key, reason)
        self.counts["dead_lettered"] += 1
        if self.worker.telemetry is not None:
            self.worker.telemetry.dead_lettered()
        self.settle(("x", message_id, key, token, reason, 0))

    def _execution(
        self, message_id: bytes, envelope: Envelope, redelivery: Redelivery | None
    ) -> tuple[Execution | None, bytes]:
        """The execution a decoded message asks for; None when its task is unknown here (and
        the worker has no fallback task). A fallback runs as the task: `function` is the
        fallback, `function_name` the name the message asked for."""
        _version, key, function_name, when_ms, attempt, token, arguments = envelope
        function = self.worker.docket.tasks.get(function_name)
        if function is None:
            function = self._unknown_task(message_id, key, function_name, token)
            if function is None:
                return None, arguments
        args, kwargs = unpack(self.worker.docket.codec, arguments, function)
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
        execution.docket = self.worker.docket
        if redelivery is not None:
            execution.delivery, execution.redelivered_from = (
                redelivery.delivery,
                redelivery.previous,
            )
        return execution, arguments

    def _unknown_task(
        self, message_id: bytes, key: str, name: str, token: str
    ) -> "TaskFunction | None":
        """The worker's fallback task, which then runs in place of the unknown one. Without
        one, offer the message again for a while (a newer worker may know the task), then give
        up: the grace counts from the first time a worker could not find it (ack.lua)."""
        if self.worker.fallback_task is not None:
            return self.worker.fallback_task
        grace = self.worker.unknown_task_grace
        again_ms = min(UNKNOWN_TASK_RETRY_MS, timedelta_to_ms(grace))
        logger.warning(
            "no task named %r is registered here (key=%s); offering it again in %.1f s",
            name,
            key,
            again_ms / 1000,
        )
        reason = (
            f"no worker registered a task named {name!r} within {grace}: register it "
            "(docket.register or `docket worker --tasks module:collection`), then requeue "
            "this letter"
        )
        self.settle(("u", message_id, key, token, reason, self.worker.docket.now_ms() + again_ms))
        return None

    async def _run(self, execution: Execution, arguments: bytes, envelope: bytes) -> None:
        task = asyncio.current_task()
        assert task is not None
        requests = self.cancel_requests
        requests.track(execution.token, task)
        began = time.time()
        clock = self.worker.docket._clock  # the machine's, unless a test's VirtualClock
        started_ms = int(began * 1000) if clock is now_ms else clock()
        if self.records:
            self.acks.start(started(execution, self.worker.name, started_ms))
        telemetry = self.worker.telemetry
        try:
            if telemetry is None:
                result = await execute(self.worker, execution, arguments)
            else:
                run = execute(self.worker, execution, arguments)
                result = await telemetry.observe(execution, envelope, run)
        finally:
            requests.untrack(execution.token, task)
        if result is not None:  # None: held, so handed back when the worker stops
            outcome, entry = result
            self.counts[outcome] += 1
            runs = self.run_counts.runs  # counted for the dashboard (see _task_stats)
            runs.append(
                (
                    execution.function_name,
                    outcome,
                    time.time() - began,
                    started_ms - execution.when_ms,
                    started_ms,
                )
            )
            if len(runs) >= FOLD_EVERY:
                self.run_counts.fold()
            if self.records:
                self.acks.settle_recorded(entry, envelope, started_ms)
            else:
                self.settle(entry)

    async def _admitted(
        self, execution: Execution, arguments: bytes, envelope: bytes, rules: tuple[Rule, ...]
    ) -> None:
        """Run `execution` if its admission markers let it (see _admission.py); a parked,
        put off or dropped one was settled by the admission script itself."""
        while True:
            try:
                verdict, slots = await admit(self.worker, execution, rules, envelope)
                break
            except (RedisError, OSError) as error:  # the message stays held: try again
                logger.warning("could not admit key=%s (%s); trying again", execution.key, error)
                await asyncio.sleep(ADMIT_RETRY)
        if verdict != "run":
            assert execution.message_id is not None
            self.held.pop(execution.message_id, None)
            return
        if slots:
            self.slots[execution.token] = slots
        await self._run(execution, arguments, envelope)
        if slots:  # not reached when the run was cancelled to go back to the docket
            del self.slots[execution.token]
            # Given back in the background, with the others of this turn: the worker's slot
            # frees now, and flush() waits for the releases still on their way.
            releasing = asyncio.ensure_future(release(self.worker, execution, slots))
            releasing.add_done_callback(_released(execution.key))

    def request_stop(self, error: BaseException) -> None:
        """A task raised KeyboardInterrupt or SystemExit: stop the worker, which re-raises
        it (`raise_stop_request`) once it has handed back its messages."""
        if self.stop_request is None:
            self.stop_request = error
        self.worker.root.stop()

    def raise_stop_request(self) -> None:
        """Raise what a task raised to stop the worker, if any (once)."""
        error, self.stop_request = self.stop_request, None
        if error is not None:
            raise error

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self.running.discard(task)
        self.slot_freed.set()

    def settle(self, entry: AckEntry) -> None:
        self.acks.settle(entry)

    async def flush(self) -> None:
        """Send every pending ack (see _acks.Acks.flush) and slot release."""
        await self.releases.drain()
        await self.acks.flush()

    async def ack_loop(self) -> None:
        await self.acks.loop()


def _released(key: str) -> "Callable[[asyncio.Future[None]], None]":
    def done(releasing: "asyncio.Future[None]") -> None:
        if releasing.cancelled():
            return
        error = releasing.exception()
        if error is not None:  # the slots free themselves when their lease ends
            logger.warning("could not give back the slots of key=%s: %s", key, error)

    return done
