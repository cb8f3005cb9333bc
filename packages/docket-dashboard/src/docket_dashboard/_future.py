"""The future page's search by key or task name: next due first, in bounded steps.

A docket may park a million executions, so one search request never reads them all: it
looks at the next SPAN parked executions of each shard (in due order, from a rank per shard)
and says where to go on from. An exact key is also looked up directly, so it is found
however far off it is due.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from docket import Docket, Execution, ExecutionState
from docket._decoding import execution_from_envelope, task_name_of
from docket._status import Status

SPAN = 2000
"""Parked executions one search request looks at on each shard."""
SHOWN = 100
"""The most matches one search request shows."""

Position = tuple[float, bytes]
"""Where an entry stands in a queue: its due score, then its key (ties go by key)."""


@dataclass(frozen=True, slots=True)
class Match:
    """A matching execution, and where it stands in its shard's queue."""

    position: Position
    execution: Execution


@dataclass(frozen=True, slots=True)
class FutureSearch:
    """What one search request found, and from which ranks the next one goes on."""

    rows: list[Execution]
    examined: int
    """Parked executions looked at (on every shard)."""
    next_ranks: list[int] | None
    """Per shard, the rank to go on from; None when every queue was searched to its end."""


@dataclass(frozen=True, slots=True)
class _Window:
    positions: list[Position]
    """Every entry looked at, in queue order."""
    matches: list[Match]
    full: bool
    """Whether the queue goes on past this window."""


def parse_ranks(text: str, shards: int) -> list[int]:
    """The per-shard ranks of a `from=` query value ("0.2000.1998"); zeros when malformed."""
    parts = text.split(".") if text else []
    if len(parts) != shards or not all(p.isdigit() and len(p) < 16 for p in parts):
        return [0] * shards
    return [int(p) for p in parts]


async def _window(view: Docket, rank: int, query: str) -> _Window:
    transport, keys = view.backend.transport, view.keys
    entries: Any = await transport.execute(
        "ZRANGE", keys.queue, rank, rank + SPAN - 1, "WITHSCORES"
    )
    members = [(bytes(member), float(score)) for member, score in _pairs(entries)]
    if not members:
        return _Window([], [], False)
    payloads = await transport.execute_many(
        [("HGET", keys.task(member.decode()), "p") for member, _ in members]
    )
    positions: list[Position] = []
    matches: list[Match] = []
    for (member, score), payload in zip(members, payloads, strict=True):
        positions.append((score, member))
        if not isinstance(payload, bytes):
            continue  # run or cancelled since the ZRANGE
        key = member.decode(errors="replace")
        if query not in key and query not in (task_name_of(payload) or ""):
            continue
        decoded = execution_from_envelope(view, payload, key=key)
        if decoded is not None:
            execution, arguments_decoded = decoded
            execution._status = Status(
                state=ExecutionState.SCHEDULED, arguments_decoded=arguments_decoded
            )
            matches.append(Match((score, member), execution))
    return _Window(positions, matches, len(members) == SPAN)


def _pairs(reply: Any) -> Sequence[tuple[Any, Any]]:
    """ZRANGE WITHSCORES as (member, score) pairs, in RESP2's flat form or RESP3's nested."""
    if reply and not isinstance(reply[0], (list, tuple)):
        return list(zip(reply[::2], reply[1::2], strict=True))
    return [tuple(pair) for pair in reply]


async def search_future(
    docket: Docket, query: str, ranks: list[int], queued: Sequence[Execution] = ()
) -> FutureSearch:
    """Executions parked on `docket` whose key or task name contains `query`, next due first,
    looking at SPAN of them per shard from `ranks`. The first request (all ranks 0) also
    searches `queued` (due ones no worker took yet, from a snapshot) and the exact key."""
    views = docket._views or [docket]
    windows = await asyncio.gather(
        *(_window(view, rank, query) for view, rank in zip(views, ranks, strict=True))
    )
    # Each full window ends somewhere; matches beyond the earliest such end may still have
    # earlier-due company on that shard's next window, so they wait for the next request.
    ends = [window.positions[-1] for window in windows if window.full]
    horizon = min(ends) if ends else None
    matches = sorted(
        (m for w in windows for m in w.matches if horizon is None or m.position <= horizon),
        key=lambda m: m.position,
    )
    bound = matches[SHOWN - 1].position if len(matches) > SHOWN else horizon
    shown = matches[:SHOWN]
    examined = sum(sum(1 for p in w.positions if bound is None or p <= bound) for w in windows)
    next_ranks = None
    if bound is not None:
        next_ranks = [
            rank + sum(1 for p in w.positions if p <= bound)
            for rank, w in zip(ranks, windows, strict=True)
        ]
    rows = [m.execution for m in shown]
    if not any(ranks):
        found = [e for e in queued if query in e.key or query in e.function_name]
        exact = await _exact(docket, query)
        if exact is not None:
            found.append(exact)
        first: dict[str, Execution] = {}
        for execution in found:
            first.setdefault(execution.key, execution)
        rows = list(first.values()) + [row for row in rows if row.key not in first]
    return FutureSearch(rows, examined, next_ranks)


async def _exact(docket: Docket, key: str) -> Execution | None:
    """The pending execution of key `key`, wherever it is due (None if there is none)."""
    try:
        execution = await docket.get_execution(key)
    except ValueError:  # not a key docket can name
        return None
    if execution is None or execution.state not in (
        ExecutionState.SCHEDULED,
        ExecutionState.QUEUED,
    ):
        return None
    return execution
