"""Task functions: what makes one acceptable, and its signature, analysed once."""

import functools
import inspect
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary, WeakSet

from ._errors import InvalidTaskError
from ._execution import TaskFunction
from ._markers import Retry, _TaskArgument

_signatures: "WeakKeyDictionary[Callable[..., Any], inspect.Signature]" = WeakKeyDictionary()
_checked: "WeakSet[Callable[..., Any]]" = WeakSet()
"""Task functions whose parameters passed `_check_parameters` already."""


def task_signature(function: Callable[..., Any]) -> inspect.Signature:
    """The signature of a task function, computed once per function."""
    signature = _signatures.get(function)
    if signature is None:
        signature = _signatures[function] = inspect.signature(function)
    return signature


def check_task_function(function: object) -> TaskFunction:
    """Refuse anything but an async function, saying how to fix it."""
    if not callable(function):
        raise InvalidTaskError(
            f"{function!r} is not a task: pass an `async def` function, or its name as a string."
        )
    if inspect.isasyncgenfunction(function):
        name = getattr(function, "__qualname__", function)
        raise InvalidTaskError(
            f"{name} is an async generator (it uses `yield`): a task must be an `async def` "
            "function that returns None."
        )
    if not inspect.iscoroutinefunction(function) or not hasattr(function, "__name__"):
        name = getattr(function, "__qualname__", repr(function))
        if isinstance(function, functools.partial):
            raise InvalidTaskError(
                f"{name} is a functools.partial: docket finds tasks by function name, so pass "
                "the async function itself and its arguments to the call, "
                "e.g. docket.add(send)(12345)."
            )
        raise InvalidTaskError(
            f"{name} is not an async function: docket tasks must be defined with `async def` "
            "(wrap blocking work in `await asyncio.to_thread(...)`)."
        )
    if function not in _checked:
        _check_parameters(function)
        _checked.add(function)
    return function


def _check_parameters(function: TaskFunction) -> None:
    """Refuse marker defaults a task cannot use: TaskArgument(), or more than one Retry."""
    name = getattr(function, "__qualname__", function.__name__)
    retries: list[str] = []
    for parameter in task_signature(function).parameters.values():
        default = parameter.default
        if isinstance(default, _TaskArgument):
            raise InvalidTaskError(
                f"{name}'s parameter {parameter.name!r} defaults to TaskArgument(), which is "
                "for dependency functions: a task gets its own arguments directly. Drop the "
                f"default (or give {parameter.name!r} a plain one), or move the work that "
                "needs it into a dependency: Depends(fn) where fn takes TaskArgument()."
            )
        if isinstance(default, Retry):
            retries.append(repr(parameter.name))
    if len(retries) > 1:
        raise InvalidTaskError(
            f"{name} has {len(retries)} Retry parameters ({', '.join(retries)}), but a task "
            "has one retry policy: keep one of them."
        )
