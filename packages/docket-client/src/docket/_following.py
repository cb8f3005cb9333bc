"""Following one execution: wait for its result, or stream its state and progress live.

Both subscribe to the key's channel first, then read its record, so no change can slip in
between; after that they only wait on the subscription (no polling).
"""

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ._errors import ExecutionCancelled, ExecutionFailed
from ._events import RESYNC, Event
from ._results import load, unpack
from ._state import ExecutionState

if TYPE_CHECKING:
    from ._execution import Execution


def _wait_budget(timeout: timedelta | float | None, deadline: datetime | None) -> float | None:
    """Seconds to wait at most, from a `timeout` (a timedelta, or seconds) or a `deadline`
    (not both); None: forever."""
    if timeout is not None and deadline is not None:
        raise ValueError("get_result() takes a timeout or a deadline, not both: pass one.")
    if isinstance(timeout, int | float) and not isinstance(timeout, bool):
        return max(float(timeout), 0.0)
    if isinstance(timeout, timedelta):
        return max(timeout.total_seconds(), 0.0)
    if timeout is not None:
        raise TypeError(f"get_result(timeout={timeout!r}): pass a timedelta or seconds.")
    if deadline is not None:
        if deadline.tzinfo is None:
            raise ValueError(
                f"deadline={deadline!r} has no time zone: pass an aware datetime, e.g. "
                "datetime.now(timezone.utc) + timedelta(seconds=30)."
            )
        return max((deadline - datetime.now(UTC)).total_seconds(), 0.0)
    return None


async def get_result(
    execution: "Execution",
    timeout: timedelta | float | None,  # noqa: ASYNC109 (pydocket's name and type)
    deadline: datetime | None,
) -> Any:
    """Wait for `execution` to finish; its return value, or raise what it raised."""
    budget = _wait_budget(timeout, deadline)
    docket = execution._open_docket()
    if not docket.keeps_records:
        raise RuntimeError(
            f"{docket!r} keeps no results (execution_ttl=0): give the Docket of the workers "
            "and of this client an execution_ttl, e.g. timedelta(minutes=15), the default."
        )
    ends = None if budget is None else time.monotonic() + budget
    async with docket._events(execution.key).follow(execution.key) as queue:
        await execution.sync()
        while not execution.state.finished:
            remaining = None if ends is None else ends - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise TimeoutError(
                    f"execution key={execution.key!r} ({execution.function_name}) did not "
                    f"finish in time; it is {execution.state.value}."
                )
            try:
                async with asyncio.timeout(remaining):
                    event = await queue.get()
            except TimeoutError:
                continue  # the loop's top raises with the current state
            if event is RESYNC or _finishes(event):
                await execution.sync()
    return await _outcome(execution)


def _finishes(event: Event) -> bool:
    return event["type"] == "state" and ExecutionState(event["state"]).finished


async def _outcome(execution: "Execution") -> Any:
    docket, status = execution._open_docket(), execution._status
    assert status is not None
    if execution.state is ExecutionState.CANCELLED:
        raise ExecutionCancelled(
            f"execution key={execution.key!r} ({execution.function_name}) was cancelled."
        )
    data = await load(docket, execution.key, status.record_token, status.stored_elsewhere)
    if execution.state is ExecutionState.COMPLETED:
        return None if data is None else unpack(data, "result")
    if data is None:
        raise ExecutionFailed(
            f"execution key={execution.key!r} ({execution.function_name}) failed: "
            f"{execution.error or 'no error was recorded'}"
        )
    raise unpack(data, "exception")


async def subscribe(execution: "Execution") -> AsyncIterator[Event]:
    """The execution's current state and progress, then each change until it finishes."""
    docket = execution._open_docket()
    async with docket._events(execution.key).follow(execution.key) as queue:
        await execution.sync()
        yield execution._state_event()
        if execution.progress.current is not None or execution.progress.message:
            yield execution._progress_event()
        while not execution.state.finished:
            event = await queue.get()
            if event is RESYNC:
                await execution.sync()
                yield execution._state_event()
                continue
            if event["type"] == "state" and "when" not in event:
                event["when"] = execution.when.isoformat()
            yield event
            if _finishes(event):
                await execution.sync()
                return
