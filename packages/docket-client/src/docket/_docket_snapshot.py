"""Docket.snapshot: counts of all of a docket's work, and a bounded sample of it.

Whatever the docket's size, a snapshot costs a few round trips of bounded work: the counts
come from XLEN, ZCARD, ZCOUNT and the XPENDING summary, and at most `limit` executions of each
kind (future, running) are read and decoded. The reads are not one atomic view: a task may
move between them.

When a running execution started: the worker notes its start in the task's record (docket
keeps records unless ``execution_ttl=timedelta(0)``), and that note is used. Without it (no
records, or a start too recent for the note to be written yet), the message's idle time in
the consumer group stands in; lease renewals reset it, so it then says when the worker last
renewed its lease (at most a quarter of its redelivery timeout ago), not when the run began.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._decoding import execution_from_envelope
from ._execution import Execution
from ._speedups import parse_stream_reply
from ._state import ExecutionState
from ._status import Status
from ._time import ms_to_datetime
from ._workers import WorkerInfo, read_workers

if TYPE_CHECKING:
    from ._docket import Docket

PARKED_WAITING = 2**52
"""Executions waiting for a concurrency slot are parked from this score on (admit.lua): no
clock reaches it, so they are never due by time."""
DEFAULT_LIMIT = 1000
"""How many executions of each kind (future, running) a snapshot lists at most."""


class RunningExecution(Execution):
    """An execution a worker is running now: which worker, and since when."""

    __slots__ = ("_worker", "started")

    _worker: str
    started: datetime
    """When its run began (see docket._docket_snapshot for how exact that is)."""

    @property
    def worker(self) -> str:
        """The worker running it."""
        return self._worker

    def __repr__(self) -> str:
        return (
            f"RunningExecution(key={self.key!r}, function={self.function_name!r}, "
            f"worker={self._worker!r}, started={self.started.isoformat()})"
        )


@dataclass(frozen=True, slots=True)
class DocketSnapshot:
    """What a docket holds at `taken`: counts of everything, and up to `limit` of each kind.

    `future` lists queued executions (due, no worker took them yet) and scheduled ones (parked
    for later), soonest first; `running` those a worker runs now. The counts say how many
    there are in all; `complete` says whether the lists hold them all.
    """

    taken: datetime
    total_tasks: int
    """Queued, running, scheduled and held executions, all of them."""
    future: Sequence[Execution]
    running: Sequence[RunningExecution]
    workers: Collection[WorkerInfo]
    queued_count: int = 0
    """In the stream, not yet taken by a worker."""
    scheduled_count: int = 0
    """Parked for later (due_count of them due already, waiting for a scheduler)."""
    due_count: int = 0
    running_count: int = 0
    held_count: int = 0
    """Held by a strike (docket.strike) until it is lifted."""
    dead_letters: int = 0
    next_due: datetime | None = None
    """When the earliest parked execution is due."""
    limit: int = DEFAULT_LIMIT

    @property
    def complete(self) -> bool:
        """Whether `future` and `running` list every queued, scheduled and running one."""
        return (
            len(self.future) == self.queued_count + self.scheduled_count
            and len(self.running) == self.running_count
        )


async def take_snapshot(
    docket: "Docket", limit: int = DEFAULT_LIMIT, *, with_workers: bool = True
) -> DocketSnapshot:
    """A snapshot of `docket`, listing at most `limit` future and `limit` running executions
    (and its workers, unless `with_workers` is False: a shard's snapshot, see _sharding)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"snapshot(limit={limit!r}) must be an int of at least 1.")
    transport, k = docket.backend.transport, docket.keys
    now = docket.now_ms()
    (streamed, parked, due, head, held, dead, summary, pending, soonest) = _replies(
        await transport.execute_many(
            [
                ("XLEN", k.stream),
                ("ZCARD", k.queue),
                ("ZCOUNT", k.queue, "-inf", now),
                ("ZRANGE", k.queue, 0, 0, "WITHSCORES"),
                ("ZCARD", k.held),
                ("XLEN", k.dead),
                ("XPENDING", k.stream, k.group),
                ("XPENDING", k.stream, k.group, "-", "+", limit),
                ("ZRANGE", k.queue, 0, limit - 1),
            ]
        ),
        tolerate=(6, 7),  # no consumer group yet (no worker ever started): nothing delivered
    )
    delivered = 0 if summary is None else int(summary[0])
    pending = pending or []
    # Messages are delivered in stream order and deleted once settled, so the stream's
    # entries past the newest delivered one are exactly those no worker took yet.
    after = "-" if not delivered else b"(" + summary[2]
    running_ids = [entry[0] for entry in pending]
    parked_keys = [_text(member) for member in soonest]
    replies = await transport.execute_many(
        [
            ("XRANGE", k.stream, after, "+", "COUNT", limit),
            *(("XRANGE", k.stream, message_id, message_id) for message_id in running_ids),
            *(("HGET", k.task(key), "p") for key in parked_keys),
        ]
    )
    queued_reply, running_replies = replies[0], replies[1 : 1 + len(running_ids)]
    future: list[Execution] = []
    for message_id, payload in parse_stream_reply(_ok(queued_reply)):
        if payload:
            future.extend(_decoded(docket, payload, ExecutionState.QUEUED, message_id))
    for payload in replies[1 + len(running_ids) :]:
        if isinstance(payload, bytes) and len(future) < limit:
            future.extend(_decoded(docket, payload, ExecutionState.SCHEDULED, None))
    running = await _running(docket, pending, running_replies, now)
    return DocketSnapshot(
        taken=ms_to_datetime(now),
        total_tasks=int(streamed) + int(parked) + int(held),
        future=sorted(future[:limit], key=lambda execution: execution.when_ms),
        running=running,
        workers=await read_workers(docket) if with_workers else (),
        queued_count=max(int(streamed) - delivered, 0),
        scheduled_count=int(parked),
        due_count=int(due),
        running_count=delivered,
        held_count=int(held),
        dead_letters=int(dead),
        next_due=_first_due(head),
        limit=limit,
    )


async def _running(
    docket: "Docket", pending: list[Any], entries: Sequence[Any], now: int
) -> list[RunningExecution]:
    """The running executions of the XPENDING entries [id, consumer, idle ms, deliveries]."""
    found: list[tuple[Execution, str, int]] = []
    for (message_id, consumer, idle, _deliveries), reply in zip(pending, entries, strict=True):
        for _id, payload in parse_stream_reply(_ok(reply)):
            if payload:
                for execution in _decoded(docket, payload, ExecutionState.RUNNING, message_id):
                    found.append((execution, _text(consumer), now - int(idle)))
    if not found:
        return []
    k = docket.keys
    records = await docket.backend.transport.execute_many(
        [("HMGET", k.task(execution.key), "m", "o") for execution, _, _ in found]
    )
    running = []
    for (execution, worker, since), record in zip(found, records, strict=True):
        started = since
        if not isinstance(record, Exception) and _text(record[0]) == _text(execution.message_id):
            _completed, noted_by, noted_start, _error = (_text(record[1]) + "\x1f" * 3).split(
                "\x1f", 3
            )
            if noted_by == worker and noted_start:
                started = int(float(noted_start))  # the worker's own note of this run's start
        running.append(_as_running(execution, worker, ms_to_datetime(started)))
    return sorted(running, key=lambda execution: execution.started)


def _as_running(execution: Execution, worker: str, started: datetime) -> RunningExecution:
    running: RunningExecution = object.__new__(RunningExecution)
    for name in Execution.__slots__:
        setattr(running, name, getattr(execution, name))
    running._worker, running.started = worker, started
    status = execution._status
    assert status is not None
    status.worker, status.started_at = worker, started
    return running


def _decoded(
    docket: "Docket", payload: bytes, state: ExecutionState, message_id: bytes | None
) -> list[Execution]:
    decoded = execution_from_envelope(docket, payload, message_id)
    if decoded is None:
        return []  # not docket's message: a worker dead-letters it
    execution, arguments_decoded = decoded
    execution.message_id = message_id
    execution._status = Status(state=state, arguments_decoded=arguments_decoded)
    return [execution]


def _replies(replies: list[Any], tolerate: tuple[int, ...]) -> list[Any]:
    """The replies, raising the first error except a missing group where tolerated (None)."""
    checked = []
    for i, reply in enumerate(replies):
        if isinstance(reply, Exception):
            if i in tolerate and "NOGROUP" in str(reply):
                reply = None
            else:
                raise reply
        checked.append(reply)
    return checked


def _ok(reply: Any) -> Any:
    if isinstance(reply, Exception):
        raise reply
    return reply


def _first_due(head: Sequence[Any]) -> datetime | None:
    """The score of a ZRANGE ... WITHSCORES reply of one member: [m, s] or [[m, s]]."""
    if not head:
        return None
    score = int(float(head[0][1] if isinstance(head[0], list) else head[1]))
    if score >= PARKED_WAITING:  # only executions waiting for a limit's slot are parked
        return None
    return ms_to_datetime(score)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
