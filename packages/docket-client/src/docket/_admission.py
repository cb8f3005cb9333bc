"""Admission markers: conditions a task must meet before a worker runs it, across all workers.

    async def sync(customer_id: Annotated[int, ConcurrencyLimit(1)]) -> None: ...
    async def call_api(limit: RateLimit = RateLimit(10, per=timedelta(seconds=1))) -> None: ...

Each marker only records what was asked for; docket-worker checks them all in one script call
when it takes the execution (docket_worker._admission): it runs, or it is parked until a slot
frees (ConcurrencyLimit), put off (RateLimit, Debounce) or dropped (RateLimit with drop=True,
Debounce for all but the last of a burst, Cooldown for repeats). A marker given as the default
of its own parameter limits the task as a whole (or the argument it names); given in
``Annotated[T, marker]`` it limits each value of that parameter.
"""

from datetime import timedelta

from ._markers import Marker


class Admission(Marker):
    """Base of the admission markers: what they share is the argument and the scope."""

    __slots__ = ("argument_name", "scope")

    def __init__(self, argument_name: str | None, scope: str | None) -> None:
        if argument_name is not None and (not isinstance(argument_name, str) or not argument_name):
            raise ValueError(f"{type(self).__name__}: argument_name must be a parameter's name.")
        if scope is not None and (not isinstance(scope, str) or not scope):
            raise ValueError(f"{type(self).__name__}: scope must be a non-empty string.")
        self.argument_name = argument_name
        """The argument whose each value is limited apart; None: the task as a whole."""
        self.scope = scope
        """Tasks giving the same scope share one limit; None: the task's own name."""

    def _where(self) -> str:
        parts = [] if self.argument_name is None else [repr(self.argument_name)]
        return "".join(f", {part}" for part in parts) + (
            "" if self.scope is None else f", scope={self.scope!r}"
        )


def _positive(owner: str, name: str, delta: timedelta) -> timedelta:
    if not isinstance(delta, timedelta) or delta <= timedelta(0):
        raise ValueError(f"{owner}({name}={delta!r}): pass a positive timedelta.")
    return delta


class ConcurrencyLimit(Admission):
    """At most `max_concurrent` runs at once, across all workers, per value of the argument
    `argument_name` (or of the task as a whole). A run over the limit is parked and woken,
    first come first served, when a slot frees; the slot of a worker that dies is freed when
    its lease runs out and its message is delivered again.

    ``ConcurrencyLimit(2)`` in ``Annotated[int, ...]`` limits each value of that parameter.
    """

    __slots__ = ("max_concurrent",)

    def __init__(
        self,
        argument_name: str | int | None = None,
        max_concurrent: int = 1,
        scope: str | None = None,
    ) -> None:
        name: str | None
        if isinstance(argument_name, int) and not isinstance(argument_name, bool):
            name, max_concurrent = None, argument_name  # ConcurrencyLimit(2)
        else:
            name = argument_name if isinstance(argument_name, str) else None
        if not isinstance(max_concurrent, int) or max_concurrent < 1:
            raise ValueError(
                f"ConcurrencyLimit(max_concurrent={max_concurrent!r}) must be at least 1."
            )
        super().__init__(name, scope)
        self.max_concurrent = max_concurrent

    def __repr__(self) -> str:
        return f"ConcurrencyLimit(max_concurrent={self.max_concurrent}{self._where()})"


class RateLimit(Admission):
    """At most `limit` runs per `per` (a sliding window), across all workers, per task or
    per value of an argument. A run over the limit is put off until the window has room
    (or, with ``drop=True``, dropped: recorded as cancelled, and logged)."""

    __slots__ = ("drop", "limit", "per")

    def __init__(
        self,
        limit: int,
        per: timedelta = timedelta(seconds=1),
        drop: bool = False,
        scope: str | None = None,
        argument_name: str | None = None,
    ) -> None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValueError(f"RateLimit(limit={limit!r}) must be a whole number, at least 1.")
        super().__init__(argument_name, scope)
        self.limit = limit
        self.per = _positive("RateLimit", "per", per)
        self.drop = drop

    def __repr__(self) -> str:
        drop = ", drop=True" if self.drop else ""
        return f"RateLimit({self.limit}, per={self.per!r}{drop}{self._where()})"


class Debounce(Admission):
    """Trailing edge: of a burst of calls, only the last runs, once `settle` has passed
    without a newer one (per task, or per value of an argument)."""

    __slots__ = ("settle",)

    def __init__(
        self,
        settle: timedelta,
        scope: str | None = None,
        argument_name: str | None = None,
    ) -> None:
        super().__init__(argument_name, scope)
        self.settle = _positive("Debounce", "settle", settle)

    def __repr__(self) -> str:
        return f"Debounce(settle={self.settle!r}{self._where()})"


class Fair(Admission):
    """Fair share between the values of an argument (beyond the peers): at most `in_flight`
    runs of the task (or scope) at once across all workers, and when more wait, they are
    woken one value at a time in turn, so a tenant with 10,000 queued tasks does not starve
    one with 10. A lone value still gets all `in_flight` slots. Usable in
    ``Annotated[str, Fair()]`` (that parameter's values) or as ``Fair("tenant")``."""

    __slots__ = ("in_flight",)

    def __init__(
        self,
        argument_name: str | None = None,
        in_flight: int = 100,
        scope: str | None = None,
    ) -> None:
        if not isinstance(in_flight, int) or isinstance(in_flight, bool) or in_flight < 1:
            raise ValueError(f"Fair(in_flight={in_flight!r}) must be a whole number, at least 1.")
        super().__init__(argument_name, scope)
        self.in_flight = in_flight

    def __repr__(self) -> str:
        return f"Fair(in_flight={self.in_flight}{self._where()})"


class Cooldown(Admission):
    """Leading edge: the first call runs; repeats within `window` of it are dropped (per
    task, or per value of an argument)."""

    __slots__ = ("window",)

    def __init__(
        self,
        window: timedelta,
        scope: str | None = None,
        argument_name: str | None = None,
    ) -> None:
        super().__init__(argument_name, scope)
        self.window = _positive("Cooldown", "window", window)

    def __repr__(self) -> str:
        return f"Cooldown(window={self.window!r}{self._where()})"
