"""A worker's count of the runs it finished, per minute and task, for docket._task_stats.

Counting a run is one list append in memory, folded into counts every FOLD_EVERY runs by a
compiled kernel (docket._kernels.fold_runs; few, short-lived tuples keep the garbage collector
out of it); the counts go to Redis with the next heartbeat
(HINCRBY into the minute's hash, in the beat's round trip), and a worker that stops sends what
is left with its last one. Counts a beat could not send are kept for the next.
"""

from typing import Any

from docket._kernels import Run, Tallies
from docket._keys import DocketKeys
from docket._speedups import fold_runs
from docket._task_stats import BUCKETS, CODES, KEEP_MS, MINUTE_MS, OUTCOMES, SEP
from docket._time import now_ms

_DURATIONS = len(OUTCOMES)
_LATENESS = _DURATIONS + BUCKETS

FOLD_EVERY = 256
"""Runs appended before they are counted."""


class RunCounts:
    """The runs finished since the counts were last taken (shared by a worker's shards).

    A run is one append to `runs`, folded into per-minute counts every FOLD_EVERY runs and
    when the beat takes them.
    """

    __slots__ = ("_sampled", "_tallies", "runs")

    def __init__(self) -> None:
        self.runs: list[Run] = []
        self._tallies: Tallies = {}
        self._sampled = -1
        """The last minute whose depth this worker sampled."""

    def record(self, name: str, outcome: str, seconds: float, late_ms: int, at_ms: int) -> None:
        """Count one finished run of task `name` (the dispatcher inlines this: it runs on
        every run)."""
        self.runs.append((name, outcome, seconds, late_ms, at_ms))
        if len(self.runs) >= FOLD_EVERY:
            self.fold()

    def fold(self) -> None:
        """Count the runs appended so far (the worker calls it every FOLD_EVERY runs, so the
        runs waiting to be counted stay few and short-lived)."""
        fold_runs(self.runs, self._tallies)
        self.runs.clear()

    def take(self) -> Tallies:
        """The counts so far, which this object forgets (see give_back)."""
        self.fold()
        taken, self._tallies = self._tallies, {}
        return taken

    def give_back(self, taken: Tallies) -> None:
        """Keep `taken` for the next beat (this one could not send them)."""
        for minute, tasks in taken.items():
            mine = self._tallies.setdefault(minute, {})
            for name, tally in tasks.items():
                kept = mine.get(name)
                if kept is None:
                    mine[name] = tally
                else:
                    mine[name] = [a + b for a, b in zip(kept, tally, strict=True)]

    def wants_depth(self, now_ms: int) -> bool:
        """Whether this worker has not sampled the docket's depth in this minute yet."""
        return now_ms // MINUTE_MS != self._sampled

    def sampled(self, now_ms: int) -> None:
        self._sampled = now_ms // MINUTE_MS


def count_commands(keys: DocketKeys, taken: Tallies) -> list[tuple[Any, ...]]:
    """HINCRBY commands adding `taken` to the minutes' hashes, each hash given its TTL."""
    commands: list[tuple[Any, ...]] = []
    for minute, tasks in taken.items():
        key = keys.stats(minute)
        totals = [0] * _DURATIONS
        for name, tally in tasks.items():
            for index, count in enumerate(tally):
                if count:
                    commands.append(("HINCRBY", key, name + SEP + _field(index), count))
            for index in range(_DURATIONS):
                totals[index] += tally[index]
        for index, count in enumerate(totals):
            if count:
                commands.append(("HINCRBY", key, SEP + _field(index), count))
        commands.append(("PEXPIRE", key, (minute + 1) * MINUTE_MS + KEEP_MS - now_ms()))
    return commands


def depth_commands(
    keys: DocketKeys, now_ms: int, queued: int, parked: int
) -> list[tuple[Any, ...]]:
    """HSET of the docket's depth into the current minute's hash."""
    key = keys.stats(now_ms // MINUTE_MS)
    return [("HSET", key, "q", queued, "p", parked), ("PEXPIRE", key, MINUTE_MS + KEEP_MS)]


def _field(index: int) -> str:
    if index < _DURATIONS:
        return CODES[OUTCOMES[index]]
    if index < _LATENESS:
        return f"d{index - _DURATIONS}"
    return f"l{index - _LATENESS}"
