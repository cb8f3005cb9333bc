"""Execution: one scheduled call of a task function. Only docket creates them."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from ._disposition import Disposition
from ._time import ms_to_datetime

TaskFunction = Callable[..., Awaitable[None]]


class Execution:
    """One call of a task: its key, function, arguments, due time and attempt number."""

    __slots__ = (
        "args",
        "attempt",
        "delivery",
        "function",
        "function_name",
        "key",
        "kwargs",
        "message_id",
        "redelivered_from",
        "scheduled",
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
    """False when `add` found this call's key already pending, so it scheduled nothing."""
    delivery: int
    """How many times this message has been delivered to a worker: above 1 when a worker died
    (or stopped) holding it and this one took it over."""
    redelivered_from: str | None
    """The worker that held this message before it was taken over, if it was."""

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
        self.delivery = 1
        self.redelivered_from = None
        return self

    @property
    def disposition(self) -> Disposition:
        """What the add or replace that made this execution did (see `scheduled`)."""
        return Disposition.SCHEDULED if self.scheduled else Disposition.ALREADY_SCHEDULED

    @property
    def when(self) -> datetime:
        """When this execution is (or was) due, as an aware UTC datetime."""
        return ms_to_datetime(self.when_ms)

    def __repr__(self) -> str:
        return (
            f"Execution(key={self.key!r}, function={self.function_name!r}, "
            f"when={self.when.isoformat()}, attempt={self.attempt})"
        )
