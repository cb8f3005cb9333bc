"""Docket: the entry point for scheduling, replacing and cancelling tasks."""

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self, overload

from redis.credentials import CredentialProvider

from ._backends import RedisBackend, open_backend, redact_url
from ._backends._credentials import credentials_for, refreshing
from ._builtin_tasks import builtin_tasks
from ._calls import Call, call_builder
from ._codecs import Codec, check_codec
from ._docket_options import Durability, Running, check_options, check_running, record_ms_of
from ._errors import InvalidTaskError
from ._events import Events
from ._execution import Execution, TaskFunction
from ._imports import import_collection
from ._keys import DocketKeys, check_task_key, shard_of
from ._opening import opening_error
from ._operations import DocketOperations
from ._reconnect import persist, through_failover
from ._record import read_record
from ._results import ResultStorage
from ._scheduling import prepare, schedule_calls
from ._sharding import check_layout, check_shards, close_views, open_views
from ._signing import signer_for
from ._strike_follow import StrikeFollower, lift_strike, put_strike
from ._strikes import Operator, Strike, Strikes, strike_of
from ._tasks import check_one_task_per_name, check_task_function
from ._telemetry import ProducerTelemetry, producer_telemetry
from ._time import now_ms


class Docket(DocketOperations):
    """A named docket of work on a Redis server (or on ``memory://`` in this process).

    Args:
        name: shared by every client and worker of this docket, like a queue name.
        url: ``redis://host:port/db`` (options as query parameters), ``rediss://`` for TLS,
            ``unix:///path.sock``, or ``memory://name`` for an in-process docket.
        reconnect_timeout: how long `add`, `replace`, `cancel` keep trying through an outage.
        durability: ``"local"``: an add returns once the master has it; ``"replicated"``:
            once a replica has it too (``WAIT 1``), so it survives a failover.
        execution_ttl: how long the record of a finished execution (state, result or error,
            progress) is kept, for `get_execution`, `get_result` and `subscribe`; 0 keeps
            none (fire-and-forget). The workers' value decides; give clients the same.
        result_storage: where results and exceptions go instead of the docket's Redis: an
            object with async ``put(key, value, ttl)``, ``get`` and ``delete`` (_results).
        credential_provider: a redis-py CredentialProvider of rotating tokens (IAM, Entra ID),
            asked by every connection; open ones re-authenticate when its token changes.
        signing_keys: HMAC keys; the first signs, any verifies; workers run what they verify.
        codec: "cloudpickle" (any object) or "msgpack" (plain data; never unpickles).
        heartbeat_interval, missed_heartbeats: workers' beats, and how many missed is gone.
        shards: spread the docket's work over this many hash tags, ``{name:0}`` and on, so
            that on Redis Cluster it uses that many masters (see docket._sharding).
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
        credential_provider: CredentialProvider | None = None,
        signing_keys: Sequence[bytes] | None = None,
        codec: Codec = "cloudpickle",
        heartbeat_interval: timedelta = timedelta(seconds=2),
        missed_heartbeats: int = 5,
        shards: int = 1,
    ) -> None:
        check_options(
            durability=durability,
            reconnect_timeout=reconnect_timeout,
            execution_ttl=execution_ttl,
            result_storage=result_storage,
            heartbeat_interval=heartbeat_interval,
            missed_heartbeats=missed_heartbeats,
        )
        self.heartbeat_interval, self.missed_heartbeats = heartbeat_interval, missed_heartbeats
        self.name = name
        self.url = url
        self.reconnect_timeout = reconnect_timeout
        self.durability = durability
        self.execution_ttl = execution_ttl
        self.result_storage = result_storage
        self.credential_provider = credential_provider
        self.signer, self.codec = signer_for(signing_keys), check_codec(codec)
        self._refreshing: asyncio.Task[None] | None = None
        self.keys = DocketKeys.for_docket(name)
        self.shards = check_shards(shards)
        self.tasks: dict[str, TaskFunction] = builtin_tasks()  # trace, fail, sleep
        self._backend: RedisBackend | None = None
        self._followers: Events | None = None
        self._clock: Callable[[], int] = now_ms
        self._strikes = Strikes()
        self._strike_follower: StrikeFollower | None = None
        self._telemetry: ProducerTelemetry | None = None
        """Set at opening when an OpenTelemetry SDK is configured (docket._telemetry)."""
        self._views: list[Docket] = []
        """With several shards, one view of each (docket._shard_view), opened with it."""
        if self.shards > 1:
            from ._shard_view import shard_views

            self._views = shard_views(self)

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
        credentials = credentials_for(self.credential_provider)
        backend = open_backend(self.url, self.keys, credentials)
        follower = StrikeFollower(self._strikes)
        backend.scripts.record_ms = record_ms_of(self.execution_ttl)
        backend.scripts.signer = self.signer
        try:
            await self._through_failover(backend.ping)
            self._backend = backend
            await self._through_failover(lambda: check_layout(self))
            await open_views(self, credentials)
            strikes_backend = self._views[0].backend if self._views else backend
            await self._through_failover(lambda: follower.load(strikes_backend))
        except BaseException as error:
            self._backend = None
            await close_views(self)
            await backend.close()
            converted = opening_error(self, error)
            if converted is error:
                raise
            raise converted from error
        follower.start(strikes_backend)
        self._strike_follower = follower
        self._telemetry = producer_telemetry(self.name)
        self._refreshing = await refreshing(backend.credentials)
        return self

    async def _through_failover[T](self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run a set-up step through a failover (see docket._reconnect.through_failover)."""
        return await through_failover(self.url, self.reconnect_timeout, operation)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()
            self._refreshing = None
        if self._followers is not None:
            await self._followers.close()
            self._followers = None
        if self._strike_follower is not None:
            await self._strike_follower.close()
            self._strike_follower = None
        await close_views(self)
        if self._backend is not None:
            await self._backend.close()
            self._backend = None

    def _events(self, key: str) -> Events:
        """The shared subscription of the events of `key`'s shard, opened on first use."""
        docket = self._view_for(key)
        if docket._followers is None:
            docket._followers = Events(docket.backend)
        return docket._followers

    def _view_for(self, key: str) -> "Docket":
        """The shard that holds `key` (see _sharding), or this docket if it has one."""
        return self._views[shard_of(key, self.shards)] if self._views else self

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
        check_one_task_per_name(self.tasks.get(name), function)
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
        return prepare(self, function, when, key, replace=False)

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
        check_running("replace", running)
        return prepare(self, function, when, key, replace=True, running=running)

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
        return await schedule_calls(self, calls, chunk_size, atomic=atomic, replace=False)

    async def replace_many(
        self, calls: Iterable[Call], chunk_size: int = 1000, *, atomic: bool = False
    ) -> list[Execution]:
        """Replace (or schedule) many calls, `chunk_size` per round trip, in order; with
        `atomic`, all of them or none, as in `add_many`."""
        return await schedule_calls(self, calls, chunk_size, atomic=atomic, replace=True)

    async def cancel(self, key: str, running: Running = "cancel") -> bool:
        """Cancel the pending execution with `key` and stop a running copy on whichever
        worker runs it (recorded as cancelled, not retried); True if there was either.

        ``running="finish"`` lets a running copy finish instead (it no longer retries or
        perpetuates itself).
        """
        check_task_key(key)
        check_running("cancel", running)
        backend, token = self._view_for(key).backend, os.urandom(8).hex()

        async def send() -> bool:
            return await self._persist(
                f"cancel key={key}",
                lambda resend: backend.cancel(
                    key, token, self.now_ms(), running=running, resend=resend
                ),
            )

        if self._telemetry is not None:
            return await self._telemetry.cancel(key, send)
        return await send()

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

    # -- executions ----------------------------------------------------------------------------

    async def get_execution(self, key: str) -> Execution | None:
        """The execution of `key` as it is now (pending, running, or finished less than
        `execution_ttl` ago), or None. Its arguments are left undecoded (empty, with
        ``arguments_decoded`` False) when this process cannot unpickle them."""
        check_task_key(key)
        return await read_record(self, key)
