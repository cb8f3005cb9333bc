"""Per-task statistics of the last hour, which workers keep in Redis (the dashboard shows them).

Each worker counts the runs it finishes in memory and adds the counts to the hash
``{name}:stats:<minute>`` (the epoch minute they finished in) with its heartbeat: no round trip
of its own, and nothing per task in Redis. The hash expires KEEP_MS after its minute ends.

Its fields join a task name and what is counted with SEP; the empty name counts every task:

- ``<task>␟s``, ``␟f``, ``␟r``, ``␟c``: runs that succeeded, failed for good, were retried,
  were cancelled;
- ``<task>␟d<i>``: runs whose duration in µs fell in bucket i (see `bucket`);
- ``<task>␟l<i>``: runs that started a lateness in ms in bucket i after they were due;
- ``q`` and ``p``: the stream's length (queued and running) and the executions parked for later,
  as a worker last sampled them in that minute (once a minute each).

Buckets split each power of two in four, so a percentile read from them is within 12.5% of
the true one (half a bucket's width).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ._kernels import RUN_BUCKETS, RUN_OUTCOMES, run_bucket
from ._time import ms_to_datetime

if TYPE_CHECKING:
    from ._docket import Docket

SEP = "\x1f"
MINUTE_MS = 60_000
KEEP_MS = 70 * MINUTE_MS
"""How long a minute's hash lasts after its minute: the hour the dashboard shows, and a margin."""
OUTCOMES = RUN_OUTCOMES
CODES = {"succeeded": "s", "failed": "f", "retried": "r", "cancelled": "c"}
BUCKETS = RUN_BUCKETS
"""Bucket indexes run from 0 to BUCKETS - 1 (the last holds everything from 2**40 up); the
workers' kernel (docket._kernels.fold_runs) fills them."""


bucket = run_bucket
"""The histogram bucket of `n` (≥ 0): n itself below 8, then four per power of two (the
workers' kernel, docket._kernels.fold_runs, fills them with this)."""


def bucket_middle(index: int) -> float:
    """The middle of bucket `index`: the value a percentile falling in it is reported as."""
    if index < 8:
        return float(index)
    shift = (index >> 2) - 1
    low = (4 + (index & 3)) << shift
    return low + (1 << shift) / 2


@dataclass(slots=True)
class TaskStats:
    """One task's runs over a span of minutes, as its workers counted them."""

    name: str
    succeeded: int = 0
    failed: int = 0
    """Runs that failed for good (no retry left)."""
    retried: int = 0
    """Runs that raised and were retried."""
    cancelled: int = 0
    durations: dict[int, int] = field(default_factory=dict)
    """Runs per duration bucket (µs)."""
    lateness: dict[int, int] = field(default_factory=dict)
    """Runs per lateness bucket (ms after they were due)."""

    @property
    def runs(self) -> int:
        """Runs that ended, however they ended."""
        return self.succeeded + self.failed + self.retried + self.cancelled

    @property
    def failures(self) -> int:
        """Runs that raised: those retried and those that failed for good."""
        return self.failed + self.retried

    def duration(self, percentile: float) -> timedelta | None:
        """The run time below which `percentile` (0 to 100) of the runs finished."""
        micros = _percentile(self.durations, percentile)
        return None if micros is None else timedelta(microseconds=micros)

    def punctuality(self, percentile: float) -> timedelta | None:
        """How late after their due time `percentile` of the runs had started, at most."""
        millis = _percentile(self.lateness, percentile)
        return None if millis is None else timedelta(milliseconds=millis)


@dataclass(frozen=True, slots=True)
class Minute:
    """The whole docket's runs in one minute, and its depth as a worker sampled it."""

    at: datetime
    runs: int
    failures: int
    queued: int | None
    """Messages in the stream (queued and running), or None when no worker sampled it."""
    parked: int | None
    """Executions parked for later, or None when no worker sampled it."""


def _percentile(counts: Mapping[int, int], percentile: float) -> float | None:
    total = sum(counts.values())
    if not total:
        return None
    rank = max(1, -(-total * percentile // 100))  # the ceil of total * percentile / 100
    seen = 0
    for index in sorted(counts):
        seen += counts[index]
        if seen >= rank:
            return bucket_middle(index)
    return bucket_middle(max(counts))  # not reached


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def decode_minute(reply: Any) -> dict[str, int]:
    """An HGETALL reply of a minute's hash (a dict in RESP3, flat in RESP2) as field -> count."""
    if isinstance(reply, Exception) or not reply:
        return {}
    pairs = reply.items() if isinstance(reply, dict) else zip(reply[::2], reply[1::2], strict=True)
    return {_text(name): int(value) for name, value in pairs}


def per_task(minutes: Iterable[Mapping[str, int]]) -> list[TaskStats]:
    """Each task's statistics summed over `minutes` (decoded hashes), by name."""
    found: dict[str, TaskStats] = {}
    for fields in minutes:
        for name, count in fields.items():
            task, sep, what = name.partition(SEP)
            if not sep or not task or not what:
                continue
            stats = found.get(task)
            if stats is None:
                stats = found[task] = TaskStats(task)
            _add(stats, what, count)
    return [found[name] for name in sorted(found)]


def _add(stats: TaskStats, what: str, count: int) -> None:
    kind, rest = what[0], what[1:]
    if kind == "s":
        stats.succeeded += count
    elif kind == "f":
        stats.failed += count
    elif kind == "r":
        stats.retried += count
    elif kind == "c":
        stats.cancelled += count
    elif kind in "dl" and rest.isdigit():
        histogram = stats.durations if kind == "d" else stats.lateness
        index = int(rest)
        histogram[index] = histogram.get(index, 0) + count


def per_minute(minutes: Mapping[int, Mapping[str, int]]) -> list[Minute]:
    """The docket's totals of each minute (epoch minute -> decoded hash), oldest first."""
    rows = []
    for minute in sorted(minutes):
        fields = minutes[minute]
        failed, retried = fields.get(SEP + "f", 0), fields.get(SEP + "r", 0)
        runs = failed + retried + fields.get(SEP + "s", 0) + fields.get(SEP + "c", 0)
        rows.append(
            Minute(
                at=ms_to_datetime(minute * MINUTE_MS),
                runs=runs,
                failures=failed + retried,
                queued=fields.get("q"),
                parked=fields.get("p"),
            )
        )
    return rows


TOTALS = (SEP + "s", SEP + "f", SEP + "r", SEP + "c", "q", "p")
"""The fields `per_minute` reads: the whole docket's outcomes, and the depth samples."""


async def read_minutes(
    docket: "Docket", minutes: Iterable[int], fields: Sequence[str] | None = None
) -> dict[int, dict[str, int]]:
    """The hashes of `minutes` (epoch minutes), decoded: all their fields, or only `fields`
    (e.g. TOTALS); one round trip for all of them."""
    wanted = list(minutes)
    if not wanted:
        return {}
    commands: list[tuple[Any, ...]]
    if fields is None:
        commands = [("HGETALL", docket.keys.stats(minute)) for minute in wanted]
    else:
        commands = [("HMGET", docket.keys.stats(minute), *fields) for minute in wanted]
    replies = await docket.backend.transport.execute_many(commands)
    if fields is None:
        decoded = [decode_minute(reply) for reply in replies]
    else:
        decoded = [_picked(fields, reply) for reply in replies]
    return dict(zip(wanted, decoded, strict=True))


def _picked(fields: Sequence[str], reply: Any) -> dict[str, int]:
    if isinstance(reply, Exception):
        return {}
    return {name: int(value) for name, value in zip(fields, reply, strict=True) if value}
