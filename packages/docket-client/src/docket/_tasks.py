"""Task functions: what makes one acceptable, and its signature, analysed once."""

import functools
import inspect
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from ._errors import InvalidTaskError
from ._execution import TaskFunction

_signatures: "WeakKeyDictionary[Callable[..., Any], inspect.Signature]" = WeakKeyDictionary()


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
    return function
