"""Docket.clear: remove every queued, scheduled and held execution, in bounded batches.

Running executions (delivered to a worker, not yet settled) are left alone. Each batch is one
run of clear.lua over at most BATCH entries, so a huge docket is cleared by many short
script calls rather than one that blocks Redis for seconds. Work added while a clear runs may
or may not be removed.
"""

from typing import TYPE_CHECKING, Any

from ._errors import MessageDecodeError
from ._generated import unwrapped
from ._scripts import Script
from ._signing import unsigned
from ._speedups import decode_envelope, parse_stream_reply

if TYPE_CHECKING:
    from ._docket import Docket

BATCH = 500
"""Entries per script call."""
CLEAR = Script.load("clear.lua")

Entry = tuple[str, str, bytes]
"""(kind: 's' stream, 'q' parked, 'h' held; task key or ''; message id or b'')."""


async def clear(docket: "Docket") -> int:
    """Remove the docket's queued, scheduled and held executions; returns how many."""
    return (
        await _clear_stream(docket) + await _clear_set(docket, "q") + await _clear_set(docket, "h")
    )


async def _clear_stream(docket: "Docket") -> int:
    """The stream's entries no worker took, from its start to its last entry when we began."""
    transport, k = docket.backend.transport, docket.keys
    last = await transport.execute("XREVRANGE", k.stream, "+", "-", "COUNT", 1)
    if not last:
        return 0
    end, start, removed = last[0][0], b"-", 0
    while True:
        entries = parse_stream_reply(
            await transport.execute("XRANGE", k.stream, start, end, "COUNT", BATCH)
        )
        if entries:
            removed += await _run(docket, [("s", _key_of(p), i) for i, p in entries])
        if len(entries) < BATCH:
            return removed
        start = b"(" + entries[-1][0]


async def _clear_set(docket: "Docket", kind: str) -> int:
    """The queue's parked executions (kind 'q') or the held ones ('h'), a batch at a time;
    at most as many as there were when we began (plus a batch), however fast others add."""
    transport, k = docket.backend.transport, docket.keys
    key = k.queue if kind == "q" else k.held
    budget = int(await transport.execute("ZCARD", key)) + BATCH
    removed = 0
    while budget > 0:
        members = await transport.execute("ZRANGE", key, 0, BATCH - 1)
        if not members:
            break
        budget -= len(members)
        removed += await _run(docket, [(kind, _text(member), b"") for member in members])
    return removed


async def _run(docket: "Docket", entries: list[Entry]) -> int:
    k = docket.keys
    keys = [k.stream, k.queue, k.held]
    keys += [k.task(key) if key else k.stream for _kind, key, _id in entries]
    args: list[Any] = [k.group]
    for entry in entries:
        args.extend(entry)
    return int(await docket.backend.scripts.run(CLEAR, keys, args))


def _key_of(payload: bytes | None) -> str:
    if not payload:
        return ""
    carried, payload = unwrapped(payload)
    try:
        return decode_envelope(unsigned(payload))[1] or carried or ""
    except MessageDecodeError:
        return carried or ""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
