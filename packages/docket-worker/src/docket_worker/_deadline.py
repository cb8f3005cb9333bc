"""Running a task under its Timeout: cancel it at the deadline, which the task may move."""

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any

from docket._timeout import Timeout


async def run_within(call: Awaitable[Any], limit: Timeout) -> Any:
    """Await `call` until `limit.deadline` and return its value; past it, cancel `call` and
    raise TimeoutError.

    The call runs as a task of its own, so the cancellation never reaches the caller: a call
    that finishes just as the deadline fires reports its own outcome. The task starts eagerly,
    so a call that never waits costs no more than creating it.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.Task(_coroutine(call), loop=loop, eager_start=True)
    if task.done():
        return task.result()
    ended = loop.create_future()
    task.add_done_callback(lambda _: None if ended.done() else ended.set_result(None))
    expired = False
    handle: asyncio.TimerHandle | None = None

    def at_deadline() -> None:
        nonlocal handle, expired
        left = limit.deadline - loop.time()
        if left > 0:  # the task extended its deadline
            handle = loop.call_later(left, at_deadline)
            return
        expired = True
        task.cancel()

    handle = loop.call_at(limit.deadline, at_deadline)
    try:
        await ended
    except asyncio.CancelledError:
        task.cancel()  # the run itself is being cancelled: take the task down with it
        await asyncio.wait((task,))
        raise
    finally:
        assert handle is not None
        handle.cancel()
    if expired and task.cancelled():
        raise TimeoutError(f"the task ran past its {limit!r}")
    return task.result()


def _coroutine(call: Awaitable[Any]) -> Coroutine[Any, Any, Any]:
    if asyncio.iscoroutine(call):
        return call

    async def awaiting() -> Any:
        return await call

    return awaiting()
