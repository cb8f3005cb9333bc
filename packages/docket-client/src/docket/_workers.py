"""Worker heartbeats: what each live worker advertises of itself, and how clients read it.

Each worker writes, every ``heartbeat_interval``, a hash ``{name}:worker:<worker>`` that expires
after ``heartbeat_interval * missed_heartbeats``, and keeps its name in the sorted set
``{name}:workers`` scored by when that hash expires (epoch ms). A worker that dies stops
beating, its hash expires, and it is no longer listed; the beats of the live ones prune the
names of the dead from the set, so it holds only the workers of the last few minutes.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ._keys import DocketKeys
from ._time import datetime_to_ms, ms_to_datetime, timedelta_to_ms

if TYPE_CHECKING:
    from ._docket import Docket

FIELDS = ("l", "t", "h", "p", "s", "c", "r", "k")
"""The heartbeat hash's fields: last seen (ms), tasks (a JSON list), host, pid, started (ms),
concurrency, running, limit keys (a JSON list)."""
MAX_WORKERS = 10_000
"""The most workers one read lists (far more than a docket has)."""
SET_TTL_MS = 24 * 3600 * 1000
"""How long the set of names outlives the last beat of any worker."""


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """A live worker of a docket, as its last heartbeat described it."""

    name: str
    last_seen: datetime
    tasks: frozenset[str]
    """The names of the tasks it can run."""
    host: str = ""
    pid: int = 0
    started: datetime | None = None
    concurrency: int = 0
    """How many tasks it runs at once, at most."""
    running: int = 0
    """How many it was running at its last beat."""
    limits: frozenset[str] = frozenset()
    """The admission-limit keys its runs held at its last beat (ConcurrencyLimit and Fair
    holders) or were admitted through within their window (RateLimit)."""


def check_heartbeat_options(heartbeat_interval: timedelta, missed_heartbeats: int) -> None:
    """Refuse heartbeat settings that would make every worker look dead (or never die)."""
    if not isinstance(heartbeat_interval, timedelta) or heartbeat_interval <= timedelta(0):
        raise ValueError(
            f"Docket(heartbeat_interval={heartbeat_interval!r}): pass a positive timedelta, "
            "e.g. timedelta(seconds=2)."
        )
    if isinstance(missed_heartbeats, bool) or not isinstance(missed_heartbeats, int):
        raise ValueError(f"Docket(missed_heartbeats={missed_heartbeats!r}) must be an int.")
    if missed_heartbeats < 1:
        raise ValueError(f"Docket(missed_heartbeats={missed_heartbeats}) must be at least 1.")


def heartbeat_ttl_ms(docket: "Docket") -> int:
    """How long a worker's heartbeat lasts: `heartbeat_interval` x `missed_heartbeats`."""
    return max(timedelta_to_ms(docket.heartbeat_interval) * docket.missed_heartbeats, 1)


def beat_commands(
    keys: DocketKeys, info: WorkerInfo, ttl_ms: int, now_ms: int
) -> list[tuple[Any, ...]]:
    """The commands of one heartbeat (sent in one round trip)."""
    hash_key = keys.worker(info.name)
    started = "" if info.started is None else datetime_to_ms(info.started)
    tasks = json.dumps(sorted(info.tasks))
    limits = json.dumps(sorted(info.limits))
    return [
        ("HSET", hash_key, "l", now_ms, "t", tasks, "h", info.host, "p", info.pid,
         "s", started, "c", info.concurrency, "r", info.running, "k", limits),
        ("PEXPIRE", hash_key, ttl_ms),
        ("ZADD", keys.workers, now_ms + ttl_ms, info.name),
        # Names whose hash expired a TTL ago or more: gone, whatever the clocks' skew.
        ("ZREMRANGEBYSCORE", keys.workers, "-inf", now_ms - ttl_ms),
        ("PEXPIRE", keys.workers, max(ttl_ms, SET_TTL_MS)),
    ]  # fmt: skip


def forget_commands(keys: DocketKeys, name: str) -> list[tuple[Any, ...]]:
    """The commands that remove a stopping worker's heartbeat."""
    return [("ZREM", keys.workers, name), ("DEL", keys.worker(name))]


async def read_workers(docket: "Docket") -> list[WorkerInfo]:
    """The live workers of `docket`, by name: those whose heartbeat has not expired."""
    transport, keys = docket.backend.transport, docket.keys
    names = [_text(n) for n in await transport.execute("ZRANGE", keys.workers, 0, MAX_WORKERS - 1)]
    if not names:
        return []
    replies = await transport.execute_many(
        [("HMGET", keys.worker(name), *FIELDS) for name in names]
    )
    workers = []
    for name, reply in zip(names, replies, strict=True):
        if isinstance(reply, Exception):
            raise reply
        if reply[0] is not None:  # else its hash expired: the worker died
            workers.append(_info(name, reply))
    return sorted(workers, key=lambda info: info.name)


async def read_task_workers(docket: "Docket", task_name: str) -> list[WorkerInfo]:
    """The live workers of `docket` that can run the task named `task_name`."""
    return [info for info in await read_workers(docket) if task_name in info.tasks]


def _info(name: str, values: Sequence[Any]) -> WorkerInfo:
    last_seen, tasks, host, pid, started, concurrency, running, limits = (_text(v) for v in values)
    return WorkerInfo(
        name=name,
        last_seen=ms_to_datetime(_int(last_seen)),
        tasks=_names(tasks),
        host=host,
        pid=_int(pid),
        started=ms_to_datetime(_int(started)) if started else None,
        concurrency=_int(concurrency),
        running=_int(running),
        limits=_names(limits),
    )


def _names(text: str) -> frozenset[str]:
    """A JSON list of names (empty when it is missing, from an older worker, or garbled)."""
    try:
        return frozenset(str(name) for name in json.loads(text or "[]"))
    except (ValueError, TypeError):
        return frozenset()


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _int(text: str) -> int:
    try:
        return int(float(text))
    except ValueError:
        return 0
