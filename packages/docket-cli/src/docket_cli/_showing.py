"""What `docket show` prints of an execution (lines or one JSON object), and the words for
an execution's parts that `docket watch` uses too.

It imports docket (and with it redis), so only show and watch load it, once they run.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from docket import Docket, Execution, ResultUnavailableError

FINISHED = ("completed", "failed", "cancelled")
NOT_DECODABLE_ARGUMENTS = "(arguments not decodable here)"
NOT_DECODABLE_RESULT = "(result not decodable here)"


def iso(moment: datetime | None) -> str | None:
    """`moment` in ISO 8601 UTC to the millisecond (2025-01-02T03:04:05.678Z), or None."""
    if moment is None:
        return None
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def seconds(duration: timedelta) -> str:
    return f"{duration.total_seconds():.3f}s"


def call_text(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], decoded: bool) -> str:
    """``name(1, 'a', flag=True)``, or the name and why its arguments are not shown."""
    if not decoded:
        return f"{name} {NOT_DECODABLE_ARGUMENTS}"
    shown = [*map(repr, args), *(f"{name}={value!r}" for name, value in kwargs.items())]
    return f"{name}({', '.join(shown)})"


def progress_text(current: int, total: int, message: str | None) -> str:
    """``40/100 (40%) message``."""
    percent = f" ({100 * current // total}%)" if total > 0 else ""
    return f"{current}/{total}{percent}" + (f" {message}" if message else "")


def running_time(
    state: str, started_at: datetime | None, completed_at: datetime | None
) -> timedelta | None:
    """How long the last attempt ran, or has run so far; None before it started."""
    if started_at is None:
        return None
    if state in FINISHED:
        return None if completed_at is None else completed_at - started_at
    return datetime.now(UTC) - started_at if state == "running" else None


async def result_repr(execution: Execution) -> str | None:
    """The repr of a completed execution's result, or None if it cannot be unpickled here."""
    try:
        return repr(await execution.get_result(timeout=timedelta(0)))
    except ResultUnavailableError:
        return None


@dataclass(frozen=True)
class Shown:
    execution: Execution
    result: str | None
    """The result's repr (completed executions only), else None."""
    result_decoded: bool = True


async def look_up(opened: Docket, key: str) -> Shown | None:
    execution = await opened.get_execution(key)
    if execution is None:
        return None
    if execution.state.value != "completed":
        return Shown(execution, None)
    result = await result_repr(execution)
    return Shown(execution, result, result_decoded=result is not None)


def human_lines(shown: Shown) -> list[str]:
    """The lines of `docket show`: one label and value each, the values aligned."""
    execution, progress = shown.execution, shown.execution.progress
    state = execution.state.value
    duration = running_time(state, execution.started_at, execution.completed_at)
    so_far = "" if state in FINISHED else " so far"
    rows: list[tuple[str, str | None]] = [
        ("key", execution.key),
        ("call", describe_call(execution)),
        ("state", state),
        ("when", iso(execution.when)),
        ("attempt", str(execution.attempt)),
        ("worker", execution.worker),
        ("started_at", iso(execution.started_at)),
        ("completed_at", iso(execution.completed_at)),
        ("duration", None if duration is None else seconds(duration) + so_far),
    ]
    if progress.current is not None or progress.message:
        current, total, message = progress.current or 0, progress.total, progress.message
        rows.append(("progress", progress_text(current, total, message)))
    if execution.error:
        rows.append(("error", execution.error))
    if state == "completed":
        rows.append(("result", shown.result if shown.result_decoded else NOT_DECODABLE_RESULT))
    width = max(len(label) for label, _ in rows) + 2
    return [f"{label + ':':<{width}}{value or '-'}" for label, value in rows]


def json_object(shown: Shown) -> dict[str, Any]:
    """What `docket show --json` prints: arguments and result as reprs, times in ISO UTC."""
    execution, progress = shown.execution, shown.execution.progress
    decoded = execution.arguments_decoded
    return {
        "key": execution.key,
        "function": execution.function_name,
        "args": [repr(value) for value in execution.args] if decoded else None,
        "kwargs": {name: repr(value) for name, value in execution.kwargs.items()}
        if decoded
        else None,
        "state": execution.state.value,
        "when": iso(execution.when),
        "attempt": execution.attempt,
        "worker": execution.worker,
        "started_at": iso(execution.started_at),
        "completed_at": iso(execution.completed_at),
        "error": execution.error,
        "progress": {
            "current": progress.current,
            "total": progress.total,
            "message": progress.message,
        },
        "result": shown.result if shown.result_decoded else None,
    }


def describe_call(execution: Execution) -> str:
    return call_text(
        execution.function_name, execution.args, execution.kwargs, execution.arguments_decoded
    )


def as_text(shown: Shown) -> str:
    return "\n".join(human_lines(shown))


def as_json(shown: Shown) -> str:
    """One line: `json_object` in JSON."""
    return json.dumps(json_object(shown))
