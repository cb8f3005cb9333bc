"""Perpetual: a task that schedules itself again, under its own key, after every run."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Self

from ._markers import Marker
from ._time import datetime_to_ms, now_ms, timedelta_to_ms


class Perpetual(Marker):
    """Run the task again after each run (success or final failure), under the same key.

    The next run is due at ``max(now, started + every)``. Inside the task, `cancel()` ends the
    chain, `perpetuate(...)` sets the next run's arguments, and `after()` / `at()` choose the
    next run's time once. With ``automatic=True`` workers start the chain themselves (key:
    the task's name), so the task must take no required arguments.
    """

    __slots__ = (
        "args", "automatic", "cancelled", "clock", "every", "kwargs", "next_ms", "started_ms",
    )  # fmt: skip

    def __init__(self, every: timedelta = timedelta(0), automatic: bool = False) -> None:
        if every < timedelta(0):
            raise ValueError(f"Perpetual(every={every!r}) cannot be negative.")
        self.every = every
        self.automatic = automatic
        self.cancelled = False
        self.args: tuple[Any, ...] | None = None
        """The next run's arguments, once `perpetuate` was called."""
        self.kwargs: dict[str, Any] = {}
        self.clock: Callable[[], int] = now_ms
        """The docket's clock (a worker sets it for each run)."""
        self.next_ms: int | None = None
        """When the next run is due, once `after` or `at` chose it (epoch ms)."""
        self.started_ms = 0
        """When this run started (epoch ms; set for each run)."""

    def for_run(self, clock: Callable[[], int] = now_ms) -> Self:
        """A fresh copy for one run of the task (the default is shared by every run);
        `clock` is the docket's (a test's VirtualClock, say)."""
        run = object.__new__(type(self))
        for name in _slots(type(self)):
            setattr(run, name, getattr(self, name))
        run.cancelled, run.args, run.kwargs, run.next_ms = False, None, {}, None
        run.clock = clock
        run.started_ms = clock()
        return run

    def cancel(self) -> None:
        """End the chain: this run is the last."""
        self.cancelled = True

    def perpetuate(self, *args: Any, **kwargs: Any) -> None:
        """Run the next time with these arguments instead of this run's."""
        self.args, self.kwargs = args, kwargs

    def after(self, delay: timedelta) -> None:
        """Run the next time `delay` from now, instead of on the usual schedule (once)."""
        clock: Callable[[], int] = getattr(self, "clock", now_ms)
        self.next_ms = clock() + timedelta_to_ms(delay)

    def at(self, when: datetime) -> None:
        """Run the next time at `when` (an aware datetime), instead of on the usual schedule."""
        self.next_ms = datetime_to_ms(when)

    def first_run_ms(self, now: int) -> int:
        """When a chain that workers start (``automatic=True``) runs first: at once."""
        return now

    def next_run_ms(self, started_ms: int, slot_ms: int, now: int) -> int:
        """When the next run is due, after a run that started at `started_ms` for the slot
        (due time) `slot_ms`; `now` is the time the run ended."""
        if self.next_ms is not None:
            return self.next_ms
        return max(now, started_ms + timedelta_to_ms(self.every))

    def __repr__(self) -> str:
        return f"Perpetual(every={self.every!r}, automatic={self.automatic})"


def _slots(cls: type) -> list[str]:
    return [name for klass in cls.__mro__ for name in getattr(klass, "__slots__", ())]
