"""Dependency markers: declarative defaults of task parameters that the worker fills in.

Each marker only records what was asked for; docket-worker resolves them when a task runs.
The retry policies are in _retry.py, Shared in _shared.py.
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from logging import Logger, LoggerAdapter
from typing import TYPE_CHECKING, Any, cast, overload

if TYPE_CHECKING:
    from docket_worker import Worker

    from ._docket import Docket
    from ._execution import Execution


class Marker:
    """Base of every dependency marker."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"{type(self).__name__.lstrip('_')}()"  # as users write it: TaskKey()


class _CurrentDocket(Marker):
    __slots__ = ()


class _CurrentWorker(Marker):
    __slots__ = ()


class _CurrentExecution(Marker):
    __slots__ = ()


class _TaskKey(Marker):
    __slots__ = ()


class _TaskLogger(Marker):
    __slots__ = ()


class _TaskArgument(Marker):
    __slots__ = ("optional", "parameter")

    def __init__(self, parameter: str | None, optional: bool) -> None:
        self.parameter = parameter
        self.optional = optional


class _Depends(Marker):
    __slots__ = ("dependency",)

    def __init__(self, dependency: Callable[..., Any]) -> None:
        if not callable(dependency):
            raise TypeError(f"Depends() takes a function, not {dependency!r}.")
        self.dependency = dependency

    def __repr__(self) -> str:
        return f"Depends({getattr(self.dependency, '__qualname__', self.dependency)!r})"


def CurrentDocket() -> "Docket":
    """The Docket the running task came from (same name and URL as its worker)."""
    return cast("Docket", _CurrentDocket())


def CurrentWorker() -> "Worker":
    """The Worker running the task."""
    return cast("Worker", _CurrentWorker())


def CurrentExecution() -> "Execution":
    """The Execution being run: key, function, arguments, due time, attempt."""
    return cast("Execution", _CurrentExecution())


def TaskKey() -> str:
    """The key of the running task."""
    return cast(str, _TaskKey())


def TaskLogger() -> "LoggerAdapter[Logger]":
    """A logger that tags each record with the task's key, function and attempt."""
    return cast("LoggerAdapter[Logger]", _TaskLogger())


def TaskArgument(parameter: str | None = None, optional: bool = False) -> Any:
    """An argument of the running task, by name (default: the name of this parameter).

    Meant for dependency functions that need the task's own arguments.
    """
    return _TaskArgument(parameter, optional)


@overload
def Depends[R](dependency: Callable[..., AbstractAsyncContextManager[R]]) -> R: ...
@overload
def Depends[R](dependency: Callable[..., AbstractContextManager[R]]) -> R: ...
@overload
def Depends[R](dependency: Callable[..., AsyncIterator[R]]) -> R: ...
@overload
def Depends[R](dependency: Callable[..., Iterator[R]]) -> R: ...
@overload
def Depends[R](dependency: Callable[..., Awaitable[R]]) -> R: ...
@overload
def Depends[R](dependency: Callable[..., R]) -> R: ...
def Depends(dependency: Callable[..., Any]) -> Any:
    """The value of `dependency`, called (with its own markers resolved) once per task run.

    `dependency` may be a sync or async function, or return a sync or async context manager,
    which stays open while the task runs.
    """
    return _Depends(dependency)
