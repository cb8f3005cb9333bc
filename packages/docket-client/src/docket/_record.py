"""Execution records: what a task key's hash says of its execution, read in one script call.

The hash ``{name}:task:<key>`` (see _keys.py) holds a pending execution while it waits and runs,
and, when the docket keeps records (``execution_ttl`` above 0), stays on as the finished
execution's record until it expires. Its fields, short because there may be millions:

====  ==========================================================================
g     the execution's token          m  its stream message id (queued, running)
p     its parked envelope (scheduled) d  its envelope, kept once it finished
s     recorded state: running, completed, failed or cancelled (a finished one no longer
      counts as pending, whatever else the hash holds)
o     outcome: completed_ms, worker, started_ms and the last error's text, joined by
      \\x1f (one field the worker writes whole: cheaper than four)
r     pickled result or exception    x  "1": r is in the docket's result_storage instead
pc    progress current               pt progress total
pm    progress message               pu progress updated (epoch ms)
u     first time no worker knew the task; c  the token of the cancel that removed it
====  ==========================================================================
"""

from typing import TYPE_CHECKING, Any

from ._decoding import execution_from_envelope
from ._progress import ExecutionProgress
from ._state import ExecutionState
from ._status import Status
from ._time import ms_to_datetime

if TYPE_CHECKING:
    from ._docket import Docket
    from ._execution import Execution

PROGRESS_FIELDS = ("pc", "pt", "pm", "pu")
"""The task hash fields of an execution's progress: current, total, message, updated (ms)."""
FIELDS = ("g", "s", "o", "x", *PROGRESS_FIELDS)
"""The fields read for a record, in this order (the envelope and state come besides)."""


async def read_record(docket: "Docket", key: str) -> "Execution | None":
    """The execution of `key` as its record says now, or None when the key has none."""
    raw = await docket._view_for(key).backend.read_execution(key, FIELDS)
    if raw is None:
        return None
    values, envelope, state, holder = raw
    if state is None or state is False or not envelope:
        return None  # only a cancel's memory of its own call, or not docket's message
    decoded_execution = execution_from_envelope(docket, envelope, key=key)
    if decoded_execution is None:
        return None
    execution, decoded = decoded_execution
    execution._status = _status(values, state, holder, decoded)
    return execution


def _text(value: Any) -> str | None:
    if value is None or value is False:
        return None
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _ms(value: Any) -> int | None:
    text = _text(value)
    return None if text is None else int(float(text))


def outcome_field(completed_ms: int | None, worker: str, started_ms: int | None, error: str) -> str:
    """The record's outcome field 'o', as workers write it."""
    completed = "" if completed_ms is None else str(completed_ms)
    started = "" if started_ms is None else str(started_ms)
    return f"{completed}\x1f{worker}\x1f{started}\x1f{error}"


def progress_from(pc: Any, pt: Any, pm: Any, pu: Any) -> ExecutionProgress:
    """The progress the PROGRESS_FIELDS of a record say (total 100 when none was set)."""
    updated = _ms(pu)
    return ExecutionProgress(
        current=_ms(pc),
        total=_ms(pt) or 100,
        message=_text(pm),
        updated_at=None if updated is None else ms_to_datetime(updated),
    )


def _status(values: list[Any], state: Any, holder: Any, decoded: bool) -> Status:
    g, _s, o, x, pc, pt, pm, pu = values
    z, w, a, e = (_text(o) or "\x1f\x1f\x1f").split("\x1f", 3)
    started, finished = _ms(a or None), _ms(z or None)
    progress = progress_from(pc, pt, pm, pu)
    return Status(
        state=ExecutionState(_text(state)),
        worker=w or _text(holder),
        started_at=None if started is None else ms_to_datetime(started),
        completed_at=None if finished is None else ms_to_datetime(finished),
        error=e or None,
        progress=progress,
        arguments_decoded=decoded,
        stored_elsewhere=_text(x) == "1",
        record_token=_text(g),
    )
