"""Cron: a Perpetual whose runs follow a cron expression, each slot once across all workers."""

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from ._perpetual import Perpetual
from ._time import datetime_to_ms

Misfire = Literal["skip", "run_once"]
MISFIRES: tuple[Misfire, ...] = ("skip", "run_once")
MISFIRE_GRACE_MS = 5_000
"""A slot this late is still run rather than counted as missed: covers a run that ended just
after the next slot, and workers whose clocks differ by a second or two."""


class Cron(Perpetual):
    """Run the task on a cron schedule: 5 fields (minute hour day month weekday), an optional
    6th for seconds, or a nickname (@yearly @annually @monthly @weekly @daily @midnight
    @hourly), in time zone `tz`.

    Each slot runs once across any number of workers: the next slot is worked out from the
    one just run, not from a worker's clock. Slots missed while no worker ran are skipped
    (``misfire="skip"``), or made up by one catch-up run (``misfire="run_once"``). Workers
    start the chain themselves unless ``automatic=False``.
    """

    __slots__ = ("expression", "misfire", "tz")

    def __init__(
        self,
        expression: str,
        tz: tzinfo = UTC,
        automatic: bool = True,
        misfire: Misfire = "skip",
    ) -> None:
        from croniter import croniter

        if not isinstance(expression, str) or not croniter.is_valid(expression):
            raise ValueError(
                f"Cron({expression!r}) is not a cron expression: use 5 fields (minute hour "
                "day-of-month month day-of-week, e.g. '*/15 * * * *'), a 6th for seconds, or "
                "a nickname such as '@daily'."
            )
        if misfire not in MISFIRES:
            raise ValueError(f"Cron(misfire={misfire!r}) is not one of {', '.join(MISFIRES)}.")
        super().__init__(every=timedelta(0), automatic=automatic)
        self.expression = expression
        self.tz = tz
        self.misfire = misfire

    def slot_after(self, ms: int) -> int:
        """The first slot strictly after `ms` (epoch milliseconds)."""
        from croniter import croniter

        start = datetime.fromtimestamp(ms / 1000, tz=self.tz)
        return datetime_to_ms(croniter(self.expression, start).get_next(datetime))

    def first_run_ms(self, now: int) -> int:
        """When a newly started chain runs first: the next slot."""
        return self.slot_after(now)

    def next_run_ms(self, started_ms: int, slot_ms: int, now: int) -> int:
        if self.next_ms is not None:
            return self.next_ms
        following = self.slot_after(slot_ms)
        if following >= now - MISFIRE_GRACE_MS:
            return following
        # Slots were missed (no worker ran, or this run outlasted them).
        return now if self.misfire == "run_once" else self.slot_after(now)

    def __repr__(self) -> str:
        return (
            f"Cron({self.expression!r}, tz={self.tz!r}, automatic={self.automatic}, "
            f"misfire={self.misfire!r})"
        )
