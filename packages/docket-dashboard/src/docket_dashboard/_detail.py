"""What the execution and running pages show of one execution: state, progress, outcome."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from docket import Docket, Execution, ExecutionState
from docket._keys import check_task_key

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
    progress = execution.progress
    total = progress.total or 0
    current = progress.current or 0
    return {
        "key": execution.key,
        "state": execution.state.value,
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


PROGRESS_FIELDS = ("g", "s", "pc", "pt", "pm")
"""What the progress feed reads of each task hash: its holder's token (there while the hash
is), the recorded state, and the progress counters and message."""


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
                [("HMGET", view.keys.task(key), *PROGRESS_FIELDS) for key in listed]
            )
            for view, listed in by_view.values()
        )
    )
    read: dict[str, Any] = {}
    for (_view, listed), values in zip(by_view.values(), replies, strict=True):
        read.update(zip(listed, values, strict=True))
    fields = []
    for key in keys:
        values = read[key]
        if isinstance(values, Exception):
            raise values
        if values[0] is None:  # no task hash
            execution = await docket.get_execution(key)
            fields.append(
                progress_fields(execution) if execution else {"key": key, "state": "gone"}
            )
        else:
            fields.append(_progress_from(key, values))
    return fields


def _progress_from(key: str, values: Sequence[Any]) -> dict[str, Any]:
    _token, state, current, total, message = (
        v.decode(errors="replace") if isinstance(v, bytes) else v for v in values
    )
    current_n = int(float(current)) if current else 0
    total_n = int(float(total)) if total else 100  # as ExecutionProgress has it
    return {
        "key": key,
        "state": state or "running",
        "current": current_n,
        "total": total_n,
        "percent": round(100 * current_n / total_n) if total_n else 0,
        "message": message or "",
    }
