"""Assertions for your tests about what a docket has pending.

    from docket.testing import assert_task_scheduled

    await signup(user)  # code under test that schedules work
    await assert_task_scheduled(docket, send_welcome, kwargs={"user_id": user.id})

"Scheduled" means pending: parked for later, or queued and not yet taken by a worker. Each
assertion reads the docket once; its failure message lists what *is* pending.

`VirtualClock` (see _virtual_clock.py) lets a test move time by hand: ``await
clock.advance(timedelta(days=7))`` runs a week of due tasks, retries and Perpetual runs.
"""

from collections.abc import Callable
from typing import Any

from ._docket import Docket
from ._snapshot import Pending, pending
from ._virtual_clock import VirtualClock

__all__ = [
    "VirtualClock",
    "assert_no_tasks",
    "assert_task_count",
    "assert_task_not_scheduled",
    "assert_task_scheduled",
]

Task = str | Callable[..., Any]


async def assert_task_scheduled(
    docket: Docket,
    function: Task,
    *,
    args: tuple[Any, ...] | None = None,
    kwargs: dict[str, Any] | None = None,
    key: str | None = None,
) -> None:
    """Assert that a call of `function` (a task or its name) is pending.

    `args` must match exactly, `kwargs` as a subset (other keyword arguments may be there
    too), `key` exactly; each is ignored when None.
    """
    found = await pending(docket)
    if not any(_matches(p, function, args, kwargs, key) for p in found):
        raise AssertionError(
            f"no pending task matches {_criteria(function, args, kwargs, key)}; {_listing(found)}"
        )


async def assert_task_not_scheduled(
    docket: Docket,
    function: Task,
    *,
    args: tuple[Any, ...] | None = None,
    kwargs: dict[str, Any] | None = None,
    key: str | None = None,
) -> None:
    """Assert that no pending call of `function` matches (same matching as above)."""
    found = await pending(docket)
    matching = [p for p in found if _matches(p, function, args, kwargs, key)]
    if matching:
        raise AssertionError(
            f"{len(matching)} pending task(s) match {_criteria(function, args, kwargs, key)}, "
            f"expected none; {_listing(matching)}"
        )


async def assert_task_count(docket: Docket, function: Task | None = None, *, count: int) -> None:
    """Assert how many calls are pending: of `function`, or of every task when None."""
    found = await pending(docket)
    counted = found if function is None else [p for p in found if _named(p, function)]
    if len(counted) != count:
        which = "tasks" if function is None else f"calls of {_name(function)}"
        raise AssertionError(
            f"expected {count} pending {which}, found {len(counted)}; {_listing(found)}"
        )


async def assert_no_tasks(docket: Docket) -> None:
    """Assert that nothing is pending on the docket."""
    found = await pending(docket)
    if found:
        raise AssertionError(f"expected no pending tasks, found {len(found)}; {_listing(found)}")


def _name(function: Task) -> str:
    return function if isinstance(function, str) else function.__name__


def _named(item: Pending, function: Task) -> bool:
    return item.execution.function_name == _name(function)


def _matches(
    item: Pending,
    function: Task,
    args: tuple[Any, ...] | None,
    kwargs: dict[str, Any] | None,
    key: str | None,
) -> bool:
    execution = item.execution
    if not _named(item, function) or (key is not None and execution.key != key):
        return False
    if args is not None and execution.args != tuple(args):
        return False
    if kwargs is not None:
        return all(
            name in execution.kwargs and execution.kwargs[name] == value
            for name, value in kwargs.items()
        )
    return True


def _criteria(
    function: Task, args: tuple[Any, ...] | None, kwargs: dict[str, Any] | None, key: str | None
) -> str:
    parts = [f"function={_name(function)}"]
    parts += [f"{label}={value!r}" for label, value in (("key", key), ("args", args),
              ("kwargs", kwargs)) if value is not None]  # fmt: skip
    return ", ".join(parts)


def _listing(found: list[Pending]) -> str:
    if not found:
        return "nothing is pending"
    lines = [f"pending ({len(found)}):"]
    for item in found:
        e = item.execution
        arguments = ", ".join(
            [repr(a) for a in e.args] + [f"{n}={v!r}" for n, v in e.kwargs.items()]
        )
        if not item.arguments_decoded:
            arguments = "<arguments this process cannot unpickle>"
        when = f"{e.when:%Y-%m-%d %H:%M:%S}"
        lines.append(f"  {e.function_name}({arguments}) key={e.key!r} {item.state} for {when}")
    return "\n".join(lines)
