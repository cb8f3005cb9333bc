"""Execution: one scheduled call of a task function. Only docket creates them."""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ._disposition import Disposition
from ._progress import ExecutionProgress
from ._state import ExecutionState
from ._status import Status
from ._time import ms_to_datetime, now_ms

if TYPE_CHECKING:
    from ._docket import Docket

TaskFunction = Callable[..., Awaitable[Any]]


class Execution:
    """One call of a task: its key, function, arguments, due time and attempt number."""

    __slots__ = (
        "_status",
        "args",
        "attempt",
        "delivery",
        "docket",
        "function",
        "function_name",
        "key",
        "kwargs",
        "message_id",
        "redelivered_from",
        "scheduled",
        "struck",
        "token",
        "when_ms",
    )

    function: TaskFunction | None
    function_name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    when_ms: int
    key: str
    attempt: int
    token: str
    message_id: bytes | None
    scheduled: bool
    """False when `add` found this call's key already pending, so it scheduled nothing (or
    the call was struck)."""
    struck: bool
    """The call matched a strike in effect (`Docket.strike`), so nothing was scheduled."""
    delivery: int
    """How many times this message has been delivered to a worker: above 1 when a worker died
    (or stopped) holding it and this one took it over."""
    redelivered_from: str | None
    """The worker that held this message before it was taken over, if it was."""
    docket: "Docket | None"
    """The Docket this execution was scheduled on or read from."""
    _status: Status | None
    """What its record said when last read (see `sync`); None before any read."""

    def __init__(self) -> None:
        raise TypeError("Executions are created by docket; use Docket.add to schedule a task.")

    @classmethod
    def _create(
        cls,
        *,
        function: TaskFunction | None,
        function_name: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        when_ms: int,
        key: str,
        attempt: int,
        token: str,
        message_id: bytes | None = None,
    ) -> "Execution":
        self = object.__new__(cls)
        self.function = function
        self.function_name = function_name
        self.args = args
        self.kwargs = kwargs
        self.when_ms = when_ms
        self.key = key
        self.attempt = attempt
        self.token = token
        self.message_id = message_id
        self.scheduled = True
        self.struck = False
        self.delivery = 1
        self.redelivered_from = None
        self.docket = None
        self._status = None
        return self

    @property
    def disposition(self) -> Disposition:
        """What the add or replace that made this execution did (see `scheduled`)."""
        if self.struck:
            return Disposition.STRUCK
        return Disposition.SCHEDULED if self.scheduled else Disposition.ALREADY_SCHEDULED

    # -- state, as its record says (see sync) ----------------------------------------------------

    @property
    def state(self) -> ExecutionState:
        """Where this execution is: SCHEDULED, QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED.

        As of the last `sync` (or `get_execution`); before any, SCHEDULED or QUEUED by its
        due time."""
        if self._status is not None:
            return self._status.state
        return ExecutionState.QUEUED if self.when_ms <= now_ms() else ExecutionState.SCHEDULED

    @property
    def worker(self) -> str | None:
        """The worker running (or that ran) it."""
        return None if self._status is None else self._status.worker

    @property
    def started_at(self) -> datetime | None:
        """When its last attempt started."""
        return None if self._status is None else self._status.started_at

    @property
    def completed_at(self) -> datetime | None:
        """When it finished (completed, failed or was cancelled)."""
        return None if self._status is None else self._status.completed_at

    @property
    def error(self) -> str | None:
        """The short text of the last exception it raised (``ValueError: boom``)."""
        return None if self._status is None else self._status.error

    @property
    def progress(self) -> ExecutionProgress:
        """Its progress as last read: ``current`` of ``total``, and a ``message``."""
        if self._status is None:
            self._status = Status(state=self.state)
        progress = self._status.progress
        progress._owner = self
        return progress

    @property
    def arguments_decoded(self) -> bool:
        """False when this process could not unpickle the arguments (then args and kwargs
        are empty): read from a client that lacks a class the caller had."""
        return True if self._status is None else self._status.arguments_decoded

    def _open_docket(self) -> "Docket":
        if self.docket is None:
            raise RuntimeError(f"{self!r} belongs to no Docket: get it from one.")
        return self.docket

    async def sync(self) -> None:
        """Read this execution's record again: state, worker, times, error, progress."""
        from ._record import read_record

        current = await read_record(self._open_docket(), self.key)
        if current is None:
            return  # the key has no execution (any more): keep what was known
        status = current._status
        assert status is not None
        if self._status is not None:  # a progress object handed out before stays current
            status.progress = self._status.progress._update(status.progress)
        self._status = status
        self.attempt, self.when_ms = current.attempt, current.when_ms
        if self.function_name != current.function_name or (not self.args and current.args):
            self.function_name, self.args, self.kwargs = (
                current.function_name,
                current.args,
                current.kwargs,
            )

    async def get_result(
        self,
        timeout: timedelta | float | None = None,  # noqa: ASYNC109 (pydocket's name and type)
        deadline: datetime | None = None,
    ) -> Any:
        """Wait until it finishes (at most `timeout`, a timedelta or seconds, or until
        `deadline`; not both) and
        return what it returned; re-raise what it raised; raise ExecutionCancelled if it was
        cancelled, TimeoutError if the wait runs out. Waits on pub/sub, without polling."""
        from ._following import get_result

        return await get_result(self, timeout, deadline)

    def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        """Its current state and progress, then each change as it happens, until it
        finishes: dicts with a ``type`` of ``"state"`` or ``"progress"`` (as in pydocket)."""
        from ._following import subscribe

        return subscribe(self)

    def _state_event(self) -> dict[str, Any]:
        event: dict[str, Any] = {
            "type": "state",
            "key": self.key,
            "state": self.state.value,
            "when": self.when.isoformat(),
        }
        for name, value in (
            ("worker", self.worker),
            ("started_at", self.started_at and self.started_at.isoformat()),
            ("completed_at", self.completed_at and self.completed_at.isoformat()),
            ("error", self.error),
        ):
            if value is not None:
                event[name] = value
        return event

    def _progress_event(self) -> dict[str, Any]:
        progress = self.progress
        return {
            "type": "progress",
            "key": self.key,
            "current": progress.current or 0,
            "total": progress.total,
            "message": progress.message,
            "updated_at": progress.updated_at and progress.updated_at.isoformat(),
        }

    @property
    def when(self) -> datetime:
        """When this execution is (or was) due, as an aware UTC datetime."""
        return ms_to_datetime(self.when_ms)

    def __repr__(self) -> str:
        return (
            f"Execution(key={self.key!r}, function={self.function_name!r}, "
            f"when={self.when.isoformat()}, attempt={self.attempt})"
        )
