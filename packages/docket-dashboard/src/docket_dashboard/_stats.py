"""The last hour of the workers' run statistics (docket._task_stats), read cheaply.

A minute's hash stops changing a little after its minute ends (workers add to it with their
heartbeats, every few seconds), so a minute read SETTLED_MS after its end is kept in memory:
a refresh reads only the last few minutes, whatever the docket's size or the hour's traffic.
"""

from datetime import timedelta
from typing import Any

from docket import Docket
from docket._task_stats import (
    MINUTE_MS,
    TOTALS,
    Minute,
    TaskStats,
    per_minute,
    per_task,
    read_minutes,
)
from docket._time import now_ms

MINUTES = 60
"""The span the overview's chart and the tasks page cover."""
SETTLED_MS = 20_000
"""How long after its minute a minute's hash is taken as final: workers add to it with their
beats, every few seconds (the late counts of a worker cut off from Redis for longer are left
out until the dashboard restarts)."""


class LastHour:
    """Reads the last MINUTES minutes' hashes (whole, or only the docket's totals), keeping
    the settled ones."""

    def __init__(self) -> None:
        self._settled: dict[bool, dict[int, dict[str, int]]] = {True: {}, False: {}}

    async def read(self, docket: Docket, totals: bool = False) -> dict[int, dict[str, int]]:
        """Epoch minute -> decoded hash (only TOTALS' fields if `totals`), for each of the
        last MINUTES minutes."""
        settled = self._settled[totals]
        now = now_ms()
        current = now // MINUTE_MS
        wanted = range(current - MINUTES + 1, current + 1)
        for old in [m for m in settled if m < wanted.start]:
            del settled[old]
        missing = [m for m in wanted if m not in settled]
        fresh = await read_minutes(docket, missing, TOTALS if totals else None)
        for minute, fields in fresh.items():
            if (minute + 1) * MINUTE_MS + SETTLED_MS <= now:
                settled[minute] = fields
        return {m: settled[m] if m in settled else fresh[m] for m in wanted}

    async def tasks(self, docket: Docket) -> list[TaskStats]:
        """Each task's runs of the last hour."""
        return per_task((await self.read(docket)).values())

    async def minutes(self, docket: Docket) -> list[Minute]:
        """The docket's runs, failures and depth in each minute of the last hour."""
        return per_minute(await self.read(docket, totals=True))


def chart_points(minutes: list[Minute], live_depth: int) -> list[dict[str, Any]]:
    """The overview chart's points: one a minute (the current one's depth is `live_depth`)."""
    points = [
        {
            "t": int(m.at.timestamp()),
            "runs": m.runs,
            "failures": m.failures,
            "depth": m.queued,
        }
        for m in minutes
    ]
    if points:
        points[-1]["depth"] = live_depth
    return points


def span_text(span: timedelta | None) -> str:
    """A duration as the tasks page shows it: 850 µs, 12.3 ms, 4.20 s, 3.5 min ("" for None)."""
    if span is None:
        return ""
    seconds = span.total_seconds()
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    return f"{seconds / 60:.1f} min"
