"""Dependency markers: declarative defaults of task parameters that the worker fills in.

Each marker only records what was asked for; docket-worker resolves them when a task runs.
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from datetime import timedelta
from logging import Logger, LoggerAdapter
from typing import TYPE_CHECKING, Any, Never, cast, overload

if TYPE_CHECKING:
    from docket_worker import Worker

    from ._docket import Docket
    from ._execution import Execution


class Marker:
    """Base of every dependency marker."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


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


class Retry(Marker):
    """Run a failing task again, up to `attempts` runs in all, `delay` apart.

    In the task, ``retry.attempt`` is the number of the current run, counting from 1.
    ``attempts=None`` retries forever.
    """

    __slots__ = ("attempt", "attempts", "delay")

    def __init__(
        self,
        attempts: int | None = 1,
        delay: timedelta = timedelta(0),
        **unexpected: Never,
    ) -> None:
        if unexpected:
            raise TypeError(
                f"Retry() got {', '.join(sorted(unexpected))}: Retry takes attempts= and delay= "
                "for a fixed delay. For delays that double from minimum_delay up to "
                "maximum_delay use ExponentialRetry(attempts=..., minimum_delay=..., "
                "maximum_delay=...)."
            )
        if attempts is not None and attempts < 1:
            raise ValueError(f"Retry(attempts={attempts}) must allow at least 1 attempt.")
        if delay < timedelta(0):
            raise ValueError(f"Retry(delay={delay!r}) cannot be negative.")
        self.attempts = attempts
        self.delay = delay
        self.attempt = 1

    def __repr__(self) -> str:
        return f"Retry(attempts={self.attempts}, delay={self.delay!r}, attempt={self.attempt})"


class ExponentialRetry(Retry):
    """Retry with delays that double from `minimum_delay`, capped at `maximum_delay`."""

    __slots__ = ("maximum_delay", "minimum_delay")

    def __init__(
        self,
        attempts: int | None = 1,
        minimum_delay: timedelta = timedelta(seconds=1),
        maximum_delay: timedelta = timedelta(seconds=64),
    ) -> None:
        super().__init__(attempts=attempts, delay=minimum_delay)
        if maximum_delay < minimum_delay:
            raise ValueError(
                f"ExponentialRetry(maximum_delay={maximum_delay!r}) is shorter than "
                f"minimum_delay={minimum_delay!r}."
            )
        self.minimum_delay = minimum_delay
        self.maximum_delay = maximum_delay

    def __repr__(self) -> str:
        return (
            f"ExponentialRetry(attempts={self.attempts}, minimum_delay={self.minimum_delay!r}, "
            f"maximum_delay={self.maximum_delay!r}, attempt={self.attempt})"
        )
