"""A snapshot of a docket's pending work: every execution scheduled for later or queued."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ._decoding import execution_from_envelope
from ._execution import Execution
from ._speedups import parse_stream_reply

if TYPE_CHECKING:
    from ._docket import Docket

PendingState = Literal["scheduled", "queued"]


@dataclass(frozen=True, slots=True)
class Pending:
    """One pending execution: parked for later ("scheduled") or in the stream, not yet taken
    by a worker ("queued")."""

    state: PendingState
    execution: Execution
    arguments_decoded: bool
    """False when this process could not unpickle the arguments (args and kwargs are empty)."""


async def pending(docket: "Docket") -> list[Pending]:
    """Every pending execution of `docket`, soonest first (a few reads, not one atomic view)."""
    transport, k = docket.backend.transport, docket.keys
    entries, delivered, parked = await transport.execute_many(
        [
            ("XRANGE", k.stream, "-", "+"),
            ("XPENDING", k.stream, k.group, "-", "+", 1_000_000),
            ("ZRANGE", k.queue, 0, -1),
        ]
    )
    found: list[Pending] = []
    # Without a consumer group yet (no worker ever started) nothing was delivered.
    taken = set() if isinstance(delivered, Exception) else {entry[0] for entry in delivered}
    for message_id, payload in parse_stream_reply(_ok(entries)):
        if message_id not in taken and payload:
            found.extend(_decoded("queued", payload, docket, message_id))
    keys = [member.decode() for member in _ok(parked)]
    if keys:
        payloads = await transport.execute_many([("HGET", k.task(key), "p") for key in keys])
        for payload in payloads:
            if isinstance(payload, bytes):
                found.extend(_decoded("scheduled", payload, docket))
    return sorted(found, key=lambda p: p.execution.when_ms)


def _ok(reply: Any) -> Any:
    if isinstance(reply, Exception):
        raise reply
    return reply


def _decoded(
    state: PendingState, payload: bytes, docket: "Docket", message_id: bytes | None = None
) -> list[Pending]:
    decoded = execution_from_envelope(docket, payload, message_id)
    if decoded is None:
        return []  # not docket's message: nothing a test could have scheduled
    execution, arguments_decoded = decoded
    return [Pending(state, execution, arguments_decoded)]
