"""The limits page's reads: who holds each ConcurrencyLimit, Fair and RateLimit slot, who waits.

docket-worker keeps them under the docket's hash tag (docket_worker._admission, admit.lua):

- ``{tag}:concurrency:<scope>:holders`` and ``{tag}:fair:<scope>:holders``: sorted sets of the
  tokens of the runs holding a slot, scored by when their lease ends (epoch ms);
- ``...:waiting``: the parked waiters, ``token \\x1f key \\x1f queue score`` (a list for a
  ConcurrencyLimit, a sorted set for Fair); an entry whose key is no longer parked at that
  score is stale (cancelled or replaced) and skipped when a slot frees;
- on a sharded docket the limits stay under the docket's own tag while its tasks are on the
  shards (docket_worker._sharded_admission): every ``...:waiting`` is a sorted set of
  ``token \x1f key \x1f shard``, and a waiter is parked while its key is parked (past 2^52) in
  that shard's queue;
- ``{tag}:rate:<scope>``: a sorted set of ``token:ms`` places, one per run of the window.

``<scope>`` is the task's name (or the marker's scope), and ``:argument=value`` when it limits
each value of an argument.

The page reads the limits the live workers' heartbeats list (the slots their runs hold, the
rate windows they were admitted through): a cost bounded by the workers' concurrency, whatever
the size of the database. A full scan of the keyspace also finds what nobody holds any more
(stale waiters); it is bounded too: SCAN with COUNT for a few rounds and a cap on keys (the
page offers to go on from the cursor). Each key shows at most SHOWN members.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from docket import Docket
from docket._docket_snapshot import PARKED_WAITING
from docket._time import ms_to_datetime

SCAN_COUNT = 1000
"""Keys SCAN looks at per call."""
SCAN_ROUNDS = 20
"""SCAN calls per page at most (so at most SCAN_COUNT * SCAN_ROUNDS keys looked at)."""
KEY_CAP = 100
"""Limit keys listed per page at most."""
SHOWN = 100
"""Holders, waiters or window places shown per limit at most."""
KINDS = {"concurrency": "ConcurrencyLimit", "fair": "Fair", "rate": "RateLimit"}


@dataclass(slots=True)
class Holder:
    """A run holding a slot (or a place in a rate window)."""

    token: str
    key: str | None
    """Its task key, when it is among the running executions the page read."""
    until: datetime
    """When its lease ends (a rate place: when it ran)."""


@dataclass(slots=True)
class Waiter:
    """An execution parked until a slot frees."""

    key: str
    token: str
    score: str
    """The queue score it was parked at (on a sharded docket: its shard's number)."""
    parked: bool = True
    """False when the entry is stale: the key is no longer parked at that score."""


@dataclass(slots=True)
class Limit:
    """One limit key: its kind and scope, holders and waiters (the first SHOWN of each)."""

    kind: str
    scope: str
    holders_key: str
    waiting_key: str | None
    holders: list[Holder] = field(default_factory=list)
    holder_count: int = 0
    waiters: list[Waiter] = field(default_factory=list)
    waiter_count: int = 0


@dataclass(slots=True)
class LimitsView:
    """What one page of the limits scan found."""

    limits: list[Limit]
    cursor: int
    """Where to go on from (0: nowhere)."""
    complete: bool
    """Whether the scan went through every key."""
    looked_at: int
    """SCAN calls made (0: the limits came from the workers' heartbeats)."""
    scanned: bool = False
    """Whether the keyspace was scanned (else the heartbeats were read)."""


def glob_escape(text: str) -> str:
    """`text` as a literal in a SCAN MATCH pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _pairs(reply: Any) -> list[tuple[str, float]]:
    """A ZRANGE ... WITHSCORES reply (flat in RESP2, pairs in RESP3) as (member, score)."""
    if isinstance(reply, Exception) or not reply:
        return []
    if isinstance(reply[0], list | tuple):
        return [(_text(m), float(s)) for m, s in reply]
    return [(_text(reply[i]), float(reply[i + 1])) for i in range(0, len(reply) - 1, 2)]


def _count(reply: Any) -> int:
    return 0 if isinstance(reply, Exception) else int(reply)


def classify(tag: str, key: str) -> tuple[str, str, str] | None:
    """(kind, scope, role) of a limit key under `tag`, or None for any other key."""
    for kind in KINDS:
        prefix = f"{tag}:{kind}:"
        if not key.startswith(prefix):
            continue
        rest = key[len(prefix) :]
        if kind == "rate":
            return kind, rest, "window"
        for role in ("holders", "waiting", "ranks"):
            if rest.endswith(":" + role):
                return kind, rest[: -len(role) - 1], role
    return None


async def _scan(view: Docket, cursor: int) -> tuple[dict[tuple[str, str], Limit], int, int]:
    """The limit keys of one docket (or shard) from `cursor`, in bounded SCAN rounds."""
    tag = view.keys.tag
    # concurrency, fair, rate; the other keys of the tag (task, queue, stream...) differ early
    pattern = glob_escape(tag) + ":[cfr][oa][nit][cre]*"
    transport = view.backend.transport
    found: dict[tuple[str, str], Limit] = {}
    rounds = 0
    while rounds < SCAN_ROUNDS and len(found) < KEY_CAP:
        reply = await transport.execute("SCAN", cursor, "MATCH", pattern, "COUNT", SCAN_COUNT)
        rounds += 1
        for raw in reply[1]:
            _note(found, tag, _text(raw))
        cursor = int(reply[0])
        if cursor == 0:
            break
    return found, cursor, rounds


def _note(found: dict[tuple[str, str], Limit], tag: str, key: str) -> None:
    parsed = classify(tag, key)
    if parsed is None or parsed[2] == "ranks":
        return
    kind, scope, _role = parsed
    if (kind, scope) in found:
        return
    base = f"{tag}:{kind}:{scope}"
    if kind == "rate":
        found[kind, scope] = Limit(kind, scope, base, None)
    else:
        found[kind, scope] = Limit(kind, scope, base + ":holders", base + ":waiting")


def _commands(limit: Limit, sharded: bool) -> list[tuple[Any, ...]]:
    """The bounded reads of one limit: counts, then the first SHOWN holders and waiters."""
    if limit.kind == "rate":
        return [
            ("ZCARD", limit.holders_key),
            ("ZREVRANGE", limit.holders_key, 0, SHOWN - 1, "WITHSCORES"),
        ]
    assert limit.waiting_key is not None
    if limit.kind == "fair" or sharded:
        waiting: list[tuple[Any, ...]] = [
            ("ZCARD", limit.waiting_key),
            ("ZRANGE", limit.waiting_key, 0, SHOWN - 1),
        ]
    else:
        waiting = [("LLEN", limit.waiting_key), ("LRANGE", limit.waiting_key, 0, SHOWN - 1)]
    return [
        ("ZCARD", limit.holders_key),
        ("ZRANGE", limit.holders_key, 0, SHOWN - 1, "WITHSCORES"),
        *waiting,
    ]


def _fill(limit: Limit, replies: Sequence[Any], running: dict[str, str]) -> None:
    limit.holder_count = _count(replies[0])
    for member, score in _pairs(replies[1]):
        token = member.rsplit(":", 1)[0] if limit.kind == "rate" else member
        limit.holders.append(Holder(token, running.get(token), ms_to_datetime(int(score))))
    if limit.kind == "rate":
        return
    limit.waiter_count = _count(replies[2])
    entries = [] if isinstance(replies[3], Exception) else replies[3]
    for entry in entries:
        parts = _text(entry).split("\x1f")
        if len(parts) >= 3:
            token, key = parts[0], "\x1f".join(parts[1:-1])
            limit.waiters.append(Waiter(key, token, parts[-1]))


async def _check_parked(view: Docket, limits: list[Limit]) -> None:
    """Mark waiters whose key is no longer parked at their entry's score as stale."""
    waiters = [w for limit in limits for w in limit.waiters]
    if not waiters:
        return
    scores = await view.backend.transport.execute(
        "ZMSCORE", view.keys.queue, *[w.key for w in waiters]
    )
    for waiter, score in zip(waiters, scores, strict=True):
        waiter.parked = score is not None and float(_text(score)) == float(waiter.score or "nan")


async def _check_parked_on_shards(docket: Docket, limits: list[Limit]) -> None:
    """Mark waiters of a sharded docket whose key is no longer parked on its shard as stale."""
    waiters = [w for limit in limits for w in limit.waiters]
    by_shard: dict[int, list[Waiter]] = {}
    for waiter in waiters:
        index = int(waiter.score) if waiter.score.isdigit() else -1
        if 0 <= index < len(docket._views):
            by_shard.setdefault(index, []).append(waiter)
        else:
            waiter.parked = False
    for index, found in by_shard.items():
        view = docket._views[index]
        scores = await view.backend.transport.execute(
            "ZMSCORE", view.keys.queue, *[w.key for w in found]
        )
        for waiter, score in zip(found, scores, strict=True):
            waiter.parked = score is not None and float(_text(score)) >= PARKED_WAITING


async def _in_use(view: Docket) -> dict[tuple[str, str], Limit]:
    """The limit keys the live workers of `view` list in their heartbeats."""
    found: dict[tuple[str, str], Limit] = {}
    for worker in await view.workers():
        for key in worker.limits:
            _note(found, view.keys.tag, key)
    return found


async def read_limits(
    docket: Docket, running: dict[str, str], cursor: int = 0, scan: bool = False
) -> LimitsView:
    """The limit keys of `docket` in use by its live workers, or (`scan`) all of them from
    `cursor`, with their holders (with the key when `running`, token -> key, knows it) and
    waiters. A sharded docket's limits are under its own tag, like a docket of one shard's."""
    sharded = bool(docket._views)
    if scan:
        found, cursor, rounds = await _scan(docket, cursor)
    else:
        found, cursor, rounds = await _in_use(docket), 0, 0
    limits = sorted(found.values(), key=lambda limit: (limit.kind, limit.scope))[:KEY_CAP]
    if limits:
        batches = [_commands(limit, sharded) for limit in limits]
        replies = await docket.backend.transport.execute_many([c for b in batches for c in b])
        at = 0
        for limit, batch in zip(limits, batches, strict=True):
            _fill(limit, replies[at : at + len(batch)], running)
            at += len(batch)
        if sharded:
            await _check_parked_on_shards(docket, limits)
        else:
            await _check_parked(docket, limits)
    complete = cursor == 0 and len(limits) < KEY_CAP
    return LimitsView(limits, cursor, complete, rounds, scan)
