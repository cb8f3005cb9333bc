"""What the execution and running pages show of one execution: state, progress, outcome."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from docket import Docket, Execution, ExecutionState

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


async def progress_of(docket: Docket, keys: Sequence[str]) -> list[dict[str, Any]]:
    """State and progress of each of `keys` (one record read each, all at once)."""
    found = await asyncio.gather(*(docket.get_execution(key) for key in keys))
    return [
        progress_fields(e) if e is not None else {"key": k, "state": "gone"}
        for k, e in zip(keys, found, strict=True)
    ]
