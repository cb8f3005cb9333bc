"""Docket: the entry point for scheduling, replacing and cancelling tasks."""

import asyncio
import itertools
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Literal, Self, overload

from redis.exceptions import RedisError

from ._backends import RedisBackend, open_backend, redact_url
from ._backends._locate import is_located
from ._builtin_tasks import builtin_tasks, is_builtin_task
from ._calls import Call, call_builder
from ._dead import DeadLetter, list_dead_letters, requeue_dead_letters
from ._errors import DocketConnectionError, InvalidTaskError
from ._events import Events
from ._execution import Execution, TaskFunction
from ._imports import import_collection
from ._keys import DocketKeys, check_task_key
from ._limits import check_sizes
from ._reconnect import UNREACHABLE, persist
from ._record import read_record
from ._results import ResultStorage
from ._strike_follow import StrikeFollower, lift_strike, put_strike
from ._strikes import Operator, Strike, Strikes, strike_of
from ._tasks import check_task_function
from ._time import now_ms, timedelta_to_ms

FAILOVER_PAUSE = 0.2
"""Seconds between tries to open a docket on a cluster or Sentinel set-up mid-failover."""
Durability = Literal["local", "replicated"]
DURABILITIES: tuple[Durability, ...] = ("local", "replicated")
Running = Literal["cancel", "finish"]
"""What `cancel` or `replace` does to a running copy of the key: stop it, or let it finish."""
RUNNING: tuple[Running, ...] = ("cancel", "finish")


def _check_running(method: str, running: str) -> None:
    if running not in RUNNING:
        raise ValueError(f"{method}(running={running!r}) is not one of {', '.join(RUNNING)}.")


class Docket:
    """A named docket of work on a Redis server (or on ``memory://`` in this process).

    Args:
        name: shared by every client and worker of this docket, like a queue name.
        url: ``redis://host:port/db`` (options as query parameters), ``rediss://`` for TLS,
            ``unix:///path.sock``, or ``memory://name`` for an in-process docket.
        reconnect_timeout: how long `add`, `replace` and `cancel` keep trying through a
            Redis outage (a restart, a failover) before they raise DocketConnectionError.
        durability: ``"local"`` (default): an add returns once the master has it.
            ``"replicated"``: once a replica has it too (``WAIT 1``, in the same round
            trip), so an acknowledged add survives a failover; it costs the replication lag.
        execution_ttl: how long the record of a finished execution (its state, result or
            error, progress) is kept, for `get_execution`, `get_result` and `subscribe`.
            ``timedelta(0)`` keeps none and announces nothing: the fastest, fire-and-forget.
            The workers' Docket decides what they record; give clients the same value.
        result_storage: where results and exceptions go instead of the docket's Redis: any
            object with async ``put(key, value, ttl)``, ``get(key)`` and ``delete(key)``
            (see docket._results); the workers and the clients that read results need it.
    """

    def __init__(
        self,
        name: str = "docket",
        url: str = "redis://localhost:6379/0",
        *,
        reconnect_timeout: timedelta = timedelta(seconds=5),
        durability: Durability = "local",
        execution_ttl: timedelta = timedelta(minutes=15),
        result_storage: ResultStorage | None = None,
    ) -> None:
        if durability not in DURABILITIES:
            raise ValueError(
                f"Docket(durability={durability!r}) is not one of {', '.join(DURABILITIES)}."
            )
        if reconnect_timeout < timedelta(0):
            raise ValueError(f"Docket(reconnect_timeout={reconnect_timeout!r}) cannot be negative.")
        if not isinstance(execution_ttl, timedelta) or execution_ttl < timedelta(0):
            raise ValueError(
                f"Docket(execution_ttl={execution_ttl!r}): pass a timedelta of 0 or more, "
                "e.g. timedelta(minutes=15); timedelta(0) keeps no records."
            )
        if result_storage is not None and not isinstance(result_storage, ResultStorage):
            raise TypeError(
                f"Docket(result_storage={result_storage!r}) lacks async put/get/delete "
                "methods: see docket._results.ResultStorage for what it must have."
            )
        self.name = name
        self.url = url
        self.reconnect_timeout = reconnect_timeout
        self.durability = durability
        self.execution_ttl = execution_ttl
        self.result_storage = result_storage
        self.keys = DocketKeys.for_docket(name)
        self.tasks: dict[str, TaskFunction] = builtin_tasks()  # trace, fail, sleep
        self._backend: RedisBackend | None = None
        self._followers: Events | None = None
        self._clock: Callable[[], int] = now_ms
        self._strikes = Strikes()
        self._strike_follower: StrikeFollower | None = None

    def now_ms(self) -> int:
        """Now, in epoch milliseconds, by this docket's clock: the machine's, or a test's
        VirtualClock (docket.testing), which the docket's workers in this process follow."""
        return self._clock()

    @property
    def keeps_records(self) -> bool:
        """Whether finished executions leave a record (execution_ttl above 0)."""
        return self.execution_ttl > timedelta(0)

    def __repr__(self) -> str:
        return f"Docket(name={self.name!r}, url={redact_url(self.url)!r})"

    async def __aenter__(self) -> Self:
        backend = open_backend(self.url, self.keys)
        follower = StrikeFollower(self._strikes)
        try:
            await self._through_failover(backend.ping)
            await self._through_failover(lambda: follower.load(backend))
        except (RedisError, OSError) as error:  # unreachable, silent, AUTH or SELECT refused
            await backend.close()
            reason = str(error).rstrip(".") or type(error).__name__
            raise DocketConnectionError(
                f"cannot reach Redis at {redact_url(self.url)} for docket {self.name!r}: "
                f"{reason}. Start the server, or check the URL (url=, --url or DOCKET_URL)."
            ) from error
        backend.scripts.record_ms = max(timedelta_to_ms(self.execution_ttl), 0)
        if self.keeps_records and backend.scripts.record_ms == 0:
            backend.scripts.record_ms = 1  # under a millisecond still keeps a record
        self._backend = backend
        follower.start(backend)
        self._strike_follower = follower
        return self

    async def _through_failover[T](self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run a set-up step (opening, creating the consumer group); on a cluster or Sentinel
        set-up, keep trying through a failover (whose dead master may still be named for a
        few seconds) for `reconnect_timeout`. On a single server it fails at once."""
        if not is_located(self.url):
            return await operation()
        deadline = time.monotonic() + self.reconnect_timeout.total_seconds()
        while True:
            try:
                return await operation()
            except UNREACHABLE:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(FAILOVER_PAUSE)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._followers is not None:
            await self._followers.close()
            self._followers = None
        if self._strike_follower is not None:
            await self._strike_follower.close()
            self._strike_follower = None
        if self._backend is not None:
            await self._backend.close()
            self._backend = None

    def _events(self) -> Events:
        """The shared subscription of this docket's key events, opened on first use."""
        if self._followers is None:
            self._followers = Events(self.backend)
        return self._followers

    @property
    def backend(self) -> RedisBackend:
        """The connection to this docket's state; only inside ``async with``."""
        if self._backend is None:
            raise RuntimeError(
                f"{self!r} is not open: use it as `async with Docket(...) as docket:`."
            )
        return self._backend

    async def _persist[T](self, action: str, operation: Callable[[bool], Awaitable[T]]) -> T:
        """Run a producer call through outages, up to `reconnect_timeout` (see _reconnect)."""
        return await persist(
            operation,
            within=self.reconnect_timeout.total_seconds(),
            action=action,
            url=redact_url(self.url),
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
            and not is_builtin_task(known)  # a task of yours may take a built-in's name
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
        function: Callable[P, Awaitable[Any]],
        when: datetime | None = None,
        key: str | None = None,
    ) -> Callable[P, Awaitable[Execution]]: ...
    @overload
    def add(
        self, function: str, when: datetime | None = None, key: str | None = None
    ) -> Callable[..., Awaitable[Execution]]: ...
    def add(
        self,
        function: Callable[..., Awaitable[Any]] | str,
        when: datetime | None = None,
        key: str | None = None,
    ) -> Callable[..., Awaitable[Execution]]:
        """Schedule a call now, or at `when`; with a `key` already pending, do nothing.

        Returns a function taking the task's arguments; await its result.
        """
        return self._prepare(function, when, key, replace=False)

    @overload
    def replace[**P](
        self,
        function: Callable[P, Awaitable[Any]],
        when: datetime,
        key: str,
        running: Running = "finish",
    ) -> Callable[P, Awaitable[Execution]]: ...
    @overload
    def replace(
        self, function: str, when: datetime, key: str, running: Running = "finish"
    ) -> Callable[..., Awaitable[Execution]]: ...
    def replace(
        self,
        function: Callable[..., Awaitable[Any]] | str,
        when: datetime,
        key: str,
        running: Running = "finish",
    ) -> Callable[..., Awaitable[Execution]]:
        """Schedule a call under `key`, replacing the pending one with that key, if any.

        A copy of the key that is already running finishes (``running="finish"``), or is
        cancelled on its worker (``running="cancel"``); either way it no longer retries or
        perpetuates itself.
        """
        _check_running("replace", running)
        return self._prepare(function, when, key, replace=True, running=running)

    @overload
    def call[**P](
        self,
        function: Callable[P, Awaitable[Any]],
        when: datetime | None = None,
        key: str | None = None,
    ) -> Callable[P, Call]: ...
    @overload
    def call(
        self, function: str, when: datetime | None = None, key: str | None = None
    ) -> Callable[..., Call]: ...
    def call(
        self,
        function: Callable[..., Awaitable[Any]] | str,
        when: datetime | None = None,
        key: str | None = None,
    ) -> Callable[..., Call]:
        """Build a call for `add_many` or `replace_many`; checked like `add`, sent later."""
        return call_builder(self, function, when, key)

    async def add_many(
        self, calls: Iterable[Call], chunk_size: int = 1000, *, atomic: bool = False
    ) -> list[Execution]:
        """Add many calls, `chunk_size` per round trip, each with `add`'s key semantics.

        With `atomic`, the whole batch is one script run: every call is scheduled or none
        is, even if Redis fails or runs out of memory (`chunk_size` does not apply).
        Returns one Execution per call, in order; ``execution.scheduled`` is False where
        the key was already pending.
        """
        if self._strikes.active:
            return await self._schedule_unstruck(calls, chunk_size, atomic=atomic, replace=False)
        if atomic:
            return await self._schedule_batch(calls, replace=False)
        return await self._schedule_many(calls, chunk_size, replace=False)

    async def replace_many(
        self, calls: Iterable[Call], chunk_size: int = 1000, *, atomic: bool = False
    ) -> list[Execution]:
        """Replace (or schedule) many calls, `chunk_size` per round trip, in order; with
        `atomic`, all of them or none, as in `add_many`."""
        if self._strikes.active:
            return await self._schedule_unstruck(calls, chunk_size, atomic=atomic, replace=True)
        if atomic:
            return await self._schedule_batch(calls, replace=True)
        return await self._schedule_many(calls, chunk_size, replace=True)

    async def cancel(self, key: str, running: Running = "cancel") -> bool:
        """Cancel the pending execution with `key` and stop a running copy on whichever
        worker runs it (recorded as cancelled, not retried); True if there was either.

        ``running="finish"`` lets a running copy finish instead (it no longer retries or
        perpetuates itself).
        """
        check_task_key(key)
        _check_running("cancel", running)
        backend, token = self.backend, os.urandom(8).hex()
        return await self._persist(
            f"cancel key={key}",
            lambda resend: backend.cancel(
                key, token, self.now_ms(), running=running, resend=resend
            ),
        )

    # -- strikes (see docket._strikes and the README's "Strikes") ------------------------------

    @property
    def strikes(self) -> list[Strike]:
        """The strikes in effect, as this Docket last heard (at most milliseconds old)."""
        return self._strikes.current()

    async def strike(
        self,
        function: Callable[..., Any] | str | None = None,
        parameter: str | None = None,
        operator: Operator = "==",
        value: Any = None,
    ) -> Strike:
        """Stop running `function` (None: any task), or its calls whose `parameter` compares
        to `value` by `operator` (== != > >= < <=, or between a (low, high) pair), on every
        client and worker: adds are refused (Disposition.STRUCK), pending ones held."""
        return await put_strike(self, strike_of(function, parameter, operator, value))

    async def restore(
        self,
        function: Callable[..., Any] | str | None = None,
        parameter: str | None = None,
        operator: Operator = "==",
        value: Any = None,
    ) -> int:
        """Lift the strike named as `strike` named it; every held execution is due again
        (workers hold again what another strike matches). Returns how many were put back."""
        return await lift_strike(self, strike_of(function, parameter, operator, value))

    async def _schedule_unstruck(
        self, calls: Iterable[Call], chunk_size: int, *, atomic: bool, replace: bool
    ) -> list[Execution]:
        """add_many and replace_many while strikes are in effect: the struck calls are
        refused, the others scheduled; one Execution per call, in order."""
        batch = list(calls)
        wanted = [call for call in batch if not self._strikes.refuse(call.execution)]
        if atomic:
            await self._schedule_batch(wanted, replace=replace)
        else:
            await self._schedule_many(wanted, chunk_size, replace=replace)
        return [call.execution for call in batch]

    # -- executions ----------------------------------------------------------------------------

    async def get_execution(self, key: str) -> Execution | None:
        """The execution of `key` as it is now (pending, running, or finished less than
        `execution_ttl` ago), or None. Its arguments are left undecoded (empty, with
        ``arguments_decoded`` False) when this process cannot unpickle them."""
        check_task_key(key)
        return await read_record(self, key)

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
        function: Callable[..., Awaitable[Any]] | str,
        when: datetime | None,
        key: str | None,
        *,
        replace: bool,
        running: Running = "finish",
    ) -> Callable[..., Awaitable[Execution]]:
        build = call_builder(self, function, when, key)

        async def schedule(*args: Any, **kwargs: Any) -> Execution:
            call = build(*args, **kwargs)
            execution, backend = call.execution, self.backend
            if self._strikes.active and self._strikes.refuse(execution):
                return execution
            await check_sizes(backend, [call])
            arguments = call.schedule_args(self.now_ms())
            replicated = self.durability == "replicated"
            execution.scheduled = await self._persist(
                f"schedule {execution.function_name} (key={execution.key})",
                lambda resend: backend.schedule(
                    arguments,
                    replace=replace,
                    resend=resend,
                    replicated=replicated,
                    running=running,
                ),
            )
            return execution

        return schedule

    async def _schedule_batch(self, calls: Iterable[Call], *, replace: bool) -> list[Execution]:
        batch, backend = list(calls), self.backend
        if not batch:
            return []
        await check_sizes(backend, batch)
        now = self.now_ms()
        arguments = [call.schedule_args(now) for call in batch]
        replicated = self.durability == "replicated"
        scheduled = await self._persist(
            f"schedule the {len(batch)} calls of an atomic batch (all of them or none)",
            lambda resend: backend.schedule_many(
                arguments, replace=replace, resend=resend, replicated=replicated, atomic=True
            ),
        )
        for call, was_scheduled in zip(batch, scheduled, strict=True):
            call.execution.scheduled = was_scheduled
        return [call.execution for call in batch]

    async def _schedule_many(
        self, calls: Iterable[Call], chunk_size: int, *, replace: bool
    ) -> list[Execution]:
        if chunk_size < 1:
            raise ValueError(f"chunk_size={chunk_size} must be at least 1.")
        chunks = list(itertools.batched(calls, chunk_size))
        backend = self.backend
        await check_sizes(backend, [call for chunk in chunks for call in chunk])
        now = self.now_ms()
        total = sum(map(len, chunks))
        replicated = self.durability == "replicated"

        async def send(chunk: tuple[Call, ...]) -> list[bool]:
            arguments = [call.schedule_args(now) for call in chunk]
            return await self._persist(
                f"schedule all {total} calls (chunks of {chunk_size}; others may have gone "
                "through)",
                lambda resend: backend.schedule_many(
                    arguments, replace=replace, resend=resend, replicated=replicated
                ),
            )

        # Every chunk is written at once, so Redis works on one while the next is packed.
        replies = await asyncio.gather(*map(send, chunks), return_exceptions=True)
        executions: list[Execution] = []
        for chunk, scheduled in zip(chunks, replies, strict=True):
            if isinstance(scheduled, BaseException):
                raise scheduled
            for call, was_scheduled in zip(chunk, scheduled, strict=True):
                call.execution.scheduled = was_scheduled
                executions.append(call.execution)
        return executions
