"""How `docket watch` follows an execution: what it knows of it, kept up to date from its
events, and the plain lines it prints when stdout is not a terminal (the live view on a
terminal is in _live.py).

It imports docket (and with it redis), so only watch loads it, once it runs.
"""

import sys
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import typer
from docket import Docket

from ._logging import rich_available
from ._showing import (
    FINISHED,
    NOT_DECODABLE_RESULT,
    describe_call,
    iso,
    progress_text,
    result_repr,
    running_time,
    seconds,
)


class Pace:
    """How fast progress goes, from successive progress events: increments per second over
    the last few of them, and so how long the rest will take."""

    def __init__(self, window: int = 20) -> None:
        self._samples: deque[tuple[float, int]] = deque(maxlen=window)
        self.rate: float | None = None
        """Increments per second; None until two events apart in time show a change."""

    def add(self, current: int, at: float) -> None:
        """Count a progress event: `current` done, reported at `at` (seconds since the epoch)."""
        if self._samples and current < self._samples[-1][1]:
            self._samples.clear()  # counted again from lower down: the old pace says nothing
        self._samples.append((at, current))
        (first_at, first), (last_at, last) = self._samples[0], self._samples[-1]
        if last_at > first_at and last > first:
            self.rate = (last - first) / (last_at - first_at)
        elif len(self._samples) == 1:
            self.rate = None

    def eta(self, current: int, total: int) -> float | None:
        """Seconds until `current` reaches `total` at this rate; None if not known."""
        if self.rate is None or self.rate <= 0:
            return None
        return max(total - current, 0) / self.rate


def _timestamp(text: str | None) -> float:
    return time.time() if text is None else datetime.fromisoformat(text).timestamp()


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@dataclass
class Watched:
    """What watch knows of the execution, kept up to date from its events."""

    key: str
    call: str
    state: str
    when: datetime
    worker: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    error: str | None = None
    current: int | None = None
    total: int = 100
    message: str | None = None
    result: str | None = None
    """At the end: the completed execution's result (its repr), or why it is not shown."""
    pace: Pace = field(default_factory=Pace)

    @property
    def duration(self) -> timedelta | None:
        return running_time(self.state, self.started_at, self.completed_at)

    def apply(self, event: dict[str, Any]) -> None:
        if event["type"] == "progress":
            self.current, self.total = event["current"], event["total"]
            self.message = event.get("message")
            self.pace.add(self.current, _timestamp(event.get("updated_at")))
        elif event["type"] == "state":  # each says all that is known of the state
            self.state = event["state"]
            self.when = _moment(event.get("when")) or self.when
            self.worker = event.get("worker")
            self.started_at = _moment(event.get("started_at"))
            self.completed_at = _moment(event.get("completed_at"))
            self.error = event.get("error")


class View(Protocol):
    """How watch shows what it learns: plain lines, or a live rich view (_live.LiveView)."""

    def __enter__(self) -> object: ...
    def __exit__(self, *exception: object) -> None: ...
    def changed(self, event: dict[str, Any]) -> None: ...
    def finished(self) -> None: ...


class PlainView:
    """One line per event, for logs and pipes: ``state running worker=host#123``,
    ``progress 40/100 (40%) message``, then ``completed in 1.234s result=42``."""

    def __init__(self, watched: Watched) -> None:
        self.watched = watched

    def __enter__(self) -> "PlainView":
        return self

    def __exit__(self, *exception: object) -> None:
        return None

    def changed(self, event: dict[str, Any]) -> None:
        watched = self.watched
        if event["type"] == "progress":
            current, total, message = watched.current or 0, watched.total, watched.message
            typer.echo(f"progress {progress_text(current, total, message)}")
        elif watched.state not in FINISHED:  # the end gets its own line: finished()
            due = f" when={iso(watched.when)}" if watched.state == "scheduled" else ""
            worker = f" worker={watched.worker}" if watched.worker else ""
            typer.echo(f"state {watched.state}{due}{worker}")

    def finished(self) -> None:
        typer.echo(ending(self.watched))


def ending(watched: Watched) -> str:
    """The last line: ``completed in 1.234s result=42``, ``failed: ValueError: boom``, …"""
    if watched.state == "completed":
        duration = watched.duration
        took = f" in {seconds(duration)}" if duration is not None else ""
        return f"completed{took} result={watched.result}"
    if watched.state == "failed":
        return f"failed: {watched.error}" if watched.error else "failed"
    return watched.state


async def follow(opened: Docket, key: str) -> Watched | None:
    """Show the execution of `key` until it finishes; None when there is none."""
    execution = await opened.get_execution(key)
    if execution is None:
        return None
    watched = Watched(key, describe_call(execution), execution.state.value, execution.when)
    view = choose_view(watched)
    with view:
        async for event in execution.subscribe():
            watched.apply(event)
            view.changed(event)
        watched.state = execution.state.value  # subscribe ends synced with the record
        if watched.state == "completed":
            watched.result = await result_repr(execution) or NOT_DECODABLE_RESULT
        view.finished()
    return watched


def choose_view(watched: Watched) -> View:
    """The live view when stdout is a terminal (and rich is installed), else plain lines."""
    if sys.stdout.isatty() and rich_available():
        from ._live import LiveView

        return LiveView(watched)
    return PlainView(watched)
