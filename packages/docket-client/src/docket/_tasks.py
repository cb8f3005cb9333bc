"""Task functions: what makes one acceptable, and its signature, analysed once."""

import functools
import inspect
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary, WeakSet

from ._annotations import annotated_metadata
from ._builtin_tasks import is_builtin_task
from ._errors import InvalidTaskError
from ._execution import TaskFunction
from ._markers import Marker, _TaskArgument
from ._retry import Retry

_signatures: "WeakKeyDictionary[Callable[..., Any], inspect.Signature]" = WeakKeyDictionary()
_checked: "WeakSet[Callable[..., Any]]" = WeakSet()
"""Task functions whose parameters passed `_check_parameters` already."""


def task_signature(function: Callable[..., Any]) -> inspect.Signature:
    """The signature of a task (or dependency) function, computed once per function.

    A parameter annotated ``Annotated[T, marker]`` appears here as if it defaulted to the
    marker (in place of a plain default it may have for type checkers), so everything that
    reads markers from defaults sees it too.
    """
    signature = _signatures.get(function)
    if signature is None:
        signature = _signatures[function] = _with_annotated_markers(
            function, inspect.signature(function)
        )
    return signature


def _with_annotated_markers(
    function: Callable[..., Any], signature: inspect.Signature
) -> inspect.Signature:
    metadata = annotated_metadata(function, signature)
    if not metadata:
        return signature
    parameters = [
        _annotated_marker(function, parameter, metadata.get(parameter.name, ()))
        for parameter in signature.parameters.values()
    ]
    # Not validated: an annotated marker may come before parameters without a default, as
    # `Annotated` allows, and then behaves like a default marker (passed by keyword or filled).
    return inspect.Signature(
        parameters,
        return_annotation=signature.return_annotation,
        __validate_parameters__=False,
    )


def _annotated_marker(
    function: Callable[..., Any], parameter: inspect.Parameter, metadata: tuple[Any, ...]
) -> inspect.Parameter:
    markers = [item for item in metadata if isinstance(item, Marker)]
    if not markers:
        return parameter
    name = getattr(function, "__qualname__", function)
    if len(markers) > 1:
        raise InvalidTaskError(
            f"{name}'s parameter {parameter.name!r} is annotated with {len(markers)} markers "
            f"({', '.join(map(repr, markers))}): a parameter takes one; keep one of them."
        )
    if isinstance(parameter.default, Marker):
        raise InvalidTaskError(
            f"{name}'s parameter {parameter.name!r} is annotated with {markers[0]!r} and "
            f"defaults to {parameter.default!r}: a parameter takes one marker; keep one of them."
        )
    # A plain default only tells type checkers that calls may leave the parameter out.
    return parameter.replace(default=markers[0])


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
                f"{name}'s parameter {parameter.name!r} asks for TaskArgument(), which is "
                "for dependency functions: a task gets its own arguments directly. Drop the "
                f"marker (or give {parameter.name!r} a plain default), or move the work that "
                "needs it into a dependency: Depends(fn) where fn takes TaskArgument()."
            )
        if isinstance(default, Retry):
            retries.append(repr(parameter.name))
    if len(retries) > 1:
        raise InvalidTaskError(
            f"{name} has {len(retries)} Retry parameters ({', '.join(retries)}), but a task "
            "has one retry policy: keep one of them."
        )


def check_one_task_per_name(known: TaskFunction | None, function: TaskFunction) -> None:
    """An InvalidTaskError if `known`, registered under `function`'s name, is another task (a
    task of yours may take a built-in's name; the same function registered twice is fine)."""
    if (
        known is not None
        and known is not function
        and not is_builtin_task(known)
        and (known.__module__ != function.__module__ or known.__qualname__ != function.__qualname__)
    ):
        name = function.__name__
        raise InvalidTaskError(
            f"two different tasks are named {name!r} ({known.__module__}.{known.__qualname__}"
            f" and {function.__module__}.{function.__qualname__}): rename one of them."
        )
