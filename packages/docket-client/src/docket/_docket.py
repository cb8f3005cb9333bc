"""Docket: the entry point for scheduling, replacing and cancelling tasks."""

import functools
import inspect
import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from types import TracebackType
from typing import Any, Self, overload
from weakref import WeakKeyDictionary

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ._backends import RedisBackend, open_backend, redact_url
from ._dead import DeadLetter, list_dead_letters, requeue_dead_letters
from ._errors import DocketConnectionError, InvalidTaskError
from ._execution import Execution, TaskFunction
from ._imports import import_collection
from ._keys import DocketKeys, check_task_key, new_task_key
from ._speedups import encode_envelope
from ._time import datetime_to_ms, now_ms
from ._wire import pack_arguments

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)

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


class Docket:
    """A named docket of work on a Redis server (or on ``memory://`` in this process).

    Args:
        name: shared by every client and worker of this docket, like a queue name.
        url: ``redis://host:port/db`` (options as query parameters), ``rediss://`` for TLS,
            ``unix:///path.sock``, or ``memory://name`` for an in-process docket.
    """

    def __init__(self, name: str = "docket", url: str = "redis://localhost:6379/0") -> None:
        self.name = name
        self.url = url
        self.keys = DocketKeys.for_docket(name)
        self.tasks: dict[str, TaskFunction] = {}
        self._backend: RedisBackend | None = None

    def __repr__(self) -> str:
        return f"Docket(name={self.name!r}, url={redact_url(self.url)!r})"

    async def __aenter__(self) -> Self:
        backend = open_backend(self.url, self.keys)
        try:
            await backend.ping()
        except (RedisConnectionError, OSError) as error:
            await backend.close()
            reason = str(error).rstrip(".")
            raise DocketConnectionError(
                f"cannot reach Redis at {redact_url(self.url)} for docket {self.name!r}: "
                f"{reason}. Start the server, or check the URL (url=, --url or DOCKET_URL)."
            ) from error
        self._backend = backend
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._backend is not None:
            await self._backend.close()
            self._backend = None

    @property
    def backend(self) -> RedisBackend:
        """The connection to this docket's state; only inside ``async with``."""
        if self._backend is None:
            raise RuntimeError(
                f"{self!r} is not open: use it as `async with Docket(...) as docket:`."
            )
        return self._backend

    def _unreachable(self, action: str, error: Exception) -> DocketConnectionError:
        """The error for a lost connection, saying what is safe to do next."""
        return DocketConnectionError(
            f"could not {action}: Redis at {redact_url(self.url)} is unreachable "
            f"({str(error).rstrip('.')}). "
            "Each call is one atomic script, so it either happened entirely or not at all; "
            "retrying it is safe for keyed adds, replaces and cancels."
        )

    # -- registration --------------------------------------------------------------------------

    def register(self, function: TaskFunction) -> None:
        """Make a task function known by name to the workers of this process."""
        check_task_function(function)
        name = function.__name__
        known = self.tasks.get(name)
        if (
            known is not None
            and known is not function
            and (
                known.__module__ != function.__module__
                or known.__qualname__ != function.__qualname__
            )
        ):
            raise InvalidTaskError(
                f"two different tasks are named {name!r} ({known.__module__}.{known.__qualname__}"
                f" and {function.__module__}.{function.__qualname__}): rename one of them."
            )
        self.tasks[name] = function

    def register_collection(self, path: str) -> None:
        """Register every task of a ``"module:attribute"`` collection."""
        for function in import_collection(path):
            try:
                self.register(function)
            except InvalidTaskError as error:
                raise InvalidTaskError(f"in task collection {path!r}: {error}") from None

    # -- scheduling ----------------------------------------------------------------------------

    @overload
    def add[**P](
        self,
        function: Callable[P, Awaitable[None]],
        when: datetime | None = None,
        key: str | None = None,
    ) -> Callable[P, Awaitable[Execution]]: ...
    @overload
    def add(
        self, function: str, when: datetime | None = None, key: str | None = None
    ) -> Callable[..., Awaitable[Execution]]: ...
    def add(
        self,
        function: Callable[..., Awaitable[None]] | str,
        when: datetime | None = None,
        key: str | None = None,
    ) -> Callable[..., Awaitable[Execution]]:
        """Schedule a call now, or at `when`; with a `key` already pending, do nothing.

        Returns a function taking the task's arguments; await its result.
        """
        return self._prepare(function, when, key, replace=False)

    @overload
    def replace[**P](
        self, function: Callable[P, Awaitable[None]], when: datetime, key: str
    ) -> Callable[P, Awaitable[Execution]]: ...
    @overload
    def replace(
        self, function: str, when: datetime, key: str
    ) -> Callable[..., Awaitable[Execution]]: ...
    def replace(
        self, function: Callable[..., Awaitable[None]] | str, when: datetime, key: str
    ) -> Callable[..., Awaitable[Execution]]:
        """Schedule a call under `key`, replacing the pending one with that key, if any."""
        return self._prepare(function, when, key, replace=True)

    async def cancel(self, key: str) -> bool:
        """Cancel the pending execution with `key`; True if there was one.

        An execution that is already running finishes.
        """
        check_task_key(key)
        try:
            return await self.backend.cancel(key)
        except UNREACHABLE as error:
            raise self._unreachable(f"cancel key={key}", error) from error

    # -- dead letters ----------------------------------------------------------------------------

    async def dead_letters(self, limit: int = 1000) -> list[DeadLetter]:
        """Messages no worker could run, oldest first, with the reason for each."""
        return await list_dead_letters(self.backend, limit)

    async def requeue_dead_letters(self, key: str | None = None) -> int:
        """Put dead letters back on the docket (all, or only those of `key`); returns how many.

        A letter whose key has a pending execution again is left where it is.
        """
        return await requeue_dead_letters(self.backend, key)

    async def purge_dead_letters(self) -> int:
        """Delete every dead letter; returns how many there were."""
        return await self.backend.purge_dead_letters()

    def _prepare(
        self,
        function: Callable[..., Awaitable[None]] | str,
        when: datetime | None,
        key: str | None,
        *,
        replace: bool,
    ) -> Callable[..., Awaitable[Execution]]:
        task: TaskFunction | None
        if isinstance(function, str):
            if not function:
                raise InvalidTaskError("a task name cannot be empty.")
            name, task = function, self.tasks.get(function)
        elif self.tasks.get(getattr(function, "__name__", "")) is function:
            task, name = function, function.__name__  # registered, so already checked
        else:
            task = check_task_function(function)
            self.register(task)
            name = task.__name__
        when_ms = None if when is None else datetime_to_ms(when)
        if key is not None:
            check_task_key(key)
        signature = None if task is None else task_signature(task)

        async def schedule(*args: Any, **kwargs: Any) -> Execution:
            if signature is not None:
                try:
                    signature.bind(*args, **kwargs)
                except TypeError as error:
                    raise InvalidTaskError(
                        f"{name}() cannot take these arguments: {error}."
                    ) from None
            arguments = pack_arguments(name, args, kwargs)
            now = now_ms()
            due = now if when_ms is None else when_ms
            task_key = new_task_key() if key is None else key
            token = os.urandom(8).hex()
            payload = encode_envelope(task_key, name, due, 1, token, arguments)
            try:
                await self.backend.schedule(
                    (task_key, token, due, payload, due <= now), replace=replace
                )
            except UNREACHABLE as error:
                raise self._unreachable(f"schedule {name} (key={task_key})", error) from error
            return Execution._create(
                function=task,
                function_name=name,
                args=args,
                kwargs=kwargs,
                when_ms=due,
                key=task_key,
                attempt=1,
                token=token,
            )

        return schedule
