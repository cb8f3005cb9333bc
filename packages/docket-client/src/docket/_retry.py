"""Retry policies: how often, and how far apart, a failing task runs again.

The policy only records what was asked for; docket-worker's _retry.py does the arithmetic.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Never, NoReturn, Self

from ._markers import Marker
from ._time import datetime_to_ms, ms_to_datetime, now_ms, timedelta_to_ms


class ForcedRetry(Exception):
    """Raised by `retry.in_(...)` / `retry.after(...)` / `retry.at(...)` inside a task: the
    run fails and, if the task's Retry has attempts left, runs again at `when`."""

    def __init__(self, when_ms: int) -> None:
        super().__init__(f"the task asked to run again at {ms_to_datetime(when_ms).isoformat()}")
        self.when_ms = when_ms
        """When the next attempt is due (epoch ms)."""

    @property
    def when(self) -> datetime:
        """When the next attempt is due, as an aware UTC datetime."""
        return ms_to_datetime(self.when_ms)


def _check_jitter(owner: str, jitter: float) -> float:
    if isinstance(jitter, bool) or not isinstance(jitter, int | float) or not 0 <= jitter <= 1:
        raise ValueError(
            f"{owner}(jitter={jitter!r}) must be a fraction of each delay from 0 to 1: each "
            "retry then waits its delay plus a random extra of up to jitter x delay."
        )
    return float(jitter)


class Retry(Marker):
    """Run a failing task again, up to `attempts` runs in all, `delay` apart.

    In the task, ``retry.attempt`` is the number of the current run, counting from 1.
    ``attempts=None`` (or ``Retry.forever(...)``) retries forever. With ``jitter`` (0 to 1)
    each retry waits its delay plus a random extra drawn uniformly from 0 to
    ``jitter * delay``, never less than the delay, so many tasks failing at once do not all
    retry at the same moment. ``retry.in_(delta)`` (or ``retry.after(delta)``) and
    ``retry.at(when)`` end the run and ask for the next attempt at that time.
    """

    __slots__ = ("attempt", "attempts", "clock", "delay", "jitter")

    def __init__(
        self,
        attempts: int | None = 1,
        delay: timedelta = timedelta(0),
        jitter: float = 0.0,
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
        self.jitter = _check_jitter(type(self).__name__, jitter)
        self.attempt = 1
        self.clock: Callable[[], int] = now_ms
        """The docket's clock, for `in_` and `at` (a worker sets it for each run)."""

    @classmethod
    def forever(cls, delay: timedelta = timedelta(0), jitter: float = 0.0) -> Self:
        """Retry until the task succeeds, `delay` apart."""
        return cls(attempts=None, delay=delay, jitter=jitter)

    def in_(self, delay: timedelta) -> NoReturn:
        """End this run and run the task again `delay` from now (if attempts are left; a
        negative delay means at once). Raises ForcedRetry: let it propagate."""
        raise ForcedRetry(self._now() + max(timedelta_to_ms(delay), 0))

    def after(self, delay: timedelta) -> NoReturn:
        """The same as `in_`."""
        self.in_(delay)

    def at(self, when: datetime) -> NoReturn:
        """End this run and run the task again at `when`, an aware datetime (if attempts are
        left; a time in the past means at once). Raises ForcedRetry: let it propagate."""
        raise ForcedRetry(max(datetime_to_ms(when), self._now()))

    def _now(self) -> int:
        """Now by the docket's clock (a test's VirtualClock, say), once the worker set it."""
        clock: Callable[[], int] = getattr(self, "clock", now_ms)  # unpickled: maybe unset
        return clock()

    def __repr__(self) -> str:
        jitter = f", jitter={self.jitter}" if self.jitter else ""
        return (
            f"Retry(attempts={self.attempts}, delay={self.delay!r}{jitter}, attempt={self.attempt})"
        )


class ExponentialRetry(Retry):
    """Retry with delays that double from `minimum_delay`, capped at `maximum_delay`.

    Jitter, if any, is added on top of each (capped) delay.
    """

    __slots__ = ("maximum_delay", "minimum_delay")

    def __init__(
        self,
        attempts: int | None = 1,
        minimum_delay: timedelta = timedelta(seconds=1),
        maximum_delay: timedelta = timedelta(seconds=64),
        jitter: float = 0.0,
    ) -> None:
        super().__init__(attempts=attempts, delay=minimum_delay, jitter=jitter)
        if maximum_delay < minimum_delay:
            raise ValueError(
                f"ExponentialRetry(maximum_delay={maximum_delay!r}) is shorter than "
                f"minimum_delay={minimum_delay!r}."
            )
        self.minimum_delay = minimum_delay
        self.maximum_delay = maximum_delay

    @classmethod
    def forever(  # type: ignore[override]  # its delays are named as in __init__
        cls,
        minimum_delay: timedelta = timedelta(seconds=1),
        maximum_delay: timedelta = timedelta(seconds=64),
        jitter: float = 0.0,
    ) -> Self:
        """Retry until the task succeeds, delays doubling from `minimum_delay` up to
        `maximum_delay`."""
        return cls(
            attempts=None, minimum_delay=minimum_delay, maximum_delay=maximum_delay, jitter=jitter
        )

    def _now(self) -> int:
        """Now by the docket's clock (a test's VirtualClock, say), once the worker set it."""
        clock: Callable[[], int] = getattr(self, "clock", now_ms)  # unpickled: maybe unset
        return clock()

    def __repr__(self) -> str:
        jitter = f", jitter={self.jitter}" if self.jitter else ""
        return (
            f"ExponentialRetry(attempts={self.attempts}, minimum_delay={self.minimum_delay!r}, "
            f"maximum_delay={self.maximum_delay!r}{jitter}, attempt={self.attempt})"
        )
