"""What the execution and running pages show of one execution: state, progress, outcome."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from docket import Docket, Execution, ExecutionProgress, ExecutionState
from docket._keys import check_task_key
from docket._record import PROGRESS_FIELDS, progress_from

SHOWN_LENGTH = 2000
"""The longest repr of a result or exception the execution page shows."""


def safe_repr(value: Any, length: int = 200) -> str:
    """A repr of `value`, truncated (the templates escape it)."""
    try:
        text = repr(value)
    except Exception as error:  # a repr that raises still gets a line
        text = f"<unprintable {type(value).__name__}: {type(error).__name__}>"
    return text if len(text) <= length else text[: length - 1] + "…"


@dataclass(frozen=True, slots=True)
class Step:
    """One point of an execution's timeline."""

    what: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Detail:
    """One execution as the execution page shows it."""

    execution: Execution
    timeline: list[Step]
    result: str | None
    """The repr of what it returned (completed), or None."""
    raised: str | None
    """The repr of what it raised (failed), or why it cannot be shown."""


def progress_fields(execution: Execution) -> dict[str, Any]:
    """The state and progress of `execution` for the page and the live feed."""
    return _feed_row(execution.key, execution.state.value, execution.progress)


def _feed_row(key: str, state: str, progress: ExecutionProgress) -> dict[str, Any]:
    total = progress.total or 0
    current = progress.current or 0
    return {
        "key": key,
        "state": state,
        "current": current,
        "total": total,
        "percent": round(100 * current / total) if total else 0,
        "message": progress.message or "",
    }


def timeline(execution: Execution) -> list[Step]:
    """When it was due, started and finished, in order."""
    steps = [Step("due", execution.when)]
    if execution.started_at is not None:
        steps.append(Step("started", execution.started_at))
    if execution.completed_at is not None:
        steps.append(Step(execution.state.value, execution.completed_at))
    return sorted(steps, key=lambda step: step.at)


async def _outcome(execution: Execution) -> tuple[str | None, str | None]:
    """(result, raised) of a finished execution, as reprs."""
    if execution.state not in (ExecutionState.COMPLETED, ExecutionState.FAILED):
        return None, None
    try:
        value = await execution.get_result(timeout=0)
    except Exception as error:  # what the task raised, or why its outcome cannot be read
        return None, safe_repr(error, SHOWN_LENGTH)
    return safe_repr(value, SHOWN_LENGTH), None


async def detail(docket: Docket, key: str) -> Detail | None:
    """The execution of `key` with its timeline and outcome, or None when there is none."""
    execution = await docket.get_execution(key)
    if execution is None:
        return None
    result, raised = await _outcome(execution)
    return Detail(execution, timeline(execution), result, raised)


FEED_FIELDS = ("g", "s", *PROGRESS_FIELDS)
"""What the progress feed reads of each task hash: its holder's token (there while the hash
is), the recorded state, and the progress (as a record read has them)."""


async def progress_of(docket: Docket, keys: Sequence[str]) -> list[dict[str, Any]]:
    """State and progress of each of `keys`: one HMGET each, one round trip per shard. A key
    without a task hash (a generated key's run keeps none) is read as get_execution does."""
    for key in keys:
        check_task_key(key)
    by_view: dict[int, tuple[Docket, list[str]]] = {}
    for key in keys:
        view = docket._view_for(key)
        by_view.setdefault(id(view), (view, []))[1].append(key)
    replies = await asyncio.gather(
        *(
            view.backend.transport.execute_many(
                [("HMGET", view.keys.task(key), *FEED_FIELDS) for key in listed]
            )
            for view, listed in by_view.values()
        )
    )
    read: dict[str, Any] = {}
    for (_view, listed), values in zip(by_view.values(), replies, strict=True):
        read.update(zip(listed, values, strict=True))
    for values in read.values():
        if isinstance(values, Exception):
            raise values
    hashless = [key for key in keys if read[key][0] is None]  # read as get_execution does
    found = await asyncio.gather(*map(docket.get_execution, hashless))
    records = dict(zip(hashless, found, strict=True))
    fields = []
    for key in keys:
        values = read[key]
        if key in records:
            execution = records[key]
            fields.append(
                progress_fields(execution) if execution else {"key": key, "state": "gone"}
            )
        else:
            state = values[1].decode() if isinstance(values[1], bytes) else values[1]
            fields.append(_feed_row(key, state or "running", progress_from(*values[2:])))
    return fields
