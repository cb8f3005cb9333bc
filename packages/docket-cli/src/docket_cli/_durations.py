"""Durations on the command line: 250ms, 30s, 5m, 1h, mm:ss, hh:mm:ss or plain seconds."""

import re
from datetime import timedelta

import typer

_WITH_UNIT = re.compile(r"(?P<number>\d+(?:\.\d+)?)(?P<unit>ms|s|m|h)?")
_CLOCK = re.compile(r"(?P<first>\d+):(?P<second>\d{1,2})(?::(?P<third>\d{1,2}))?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}

DURATION_FORMATS = "250ms, 30s, 5m, 1h, mm:ss, hh:mm:ss or plain seconds like 2.5"
MAX_DURATION = timedelta(days=365)
"""The longest duration an option takes: longer would overflow timers, and means "never"."""


def parse_duration(value: str | timedelta) -> timedelta:
    """Turn a duration from the command line or the environment into a timedelta.

    Raises typer.BadParameter (a usage error, exit code 2) naming the accepted formats.
    """
    if isinstance(value, timedelta):  # a default, already parsed
        return value
    seconds = _seconds(value.strip())
    if seconds is None:
        raise typer.BadParameter(f"{value!r} is not a duration: use {DURATION_FORMATS}.")
    if not seconds <= MAX_DURATION.total_seconds():
        raise typer.BadParameter(
            f"{value!r} is too long: a duration is at most {MAX_DURATION.days} days "
            f"({format_duration(MAX_DURATION)})."
        )
    return timedelta(seconds=seconds)


def _seconds(text: str) -> float | None:
    """The seconds `text` stands for (maybe huge or infinite), or None if not a duration.

    Clock fields may have one digit (``1:5``, ``0:0:10``); minutes and seconds stay below 60.
    """
    if match := _WITH_UNIT.fullmatch(text):
        return float(match["number"]) * _UNIT_SECONDS[match["unit"]]
    if match := _CLOCK.fullmatch(text):
        fields = [int(field) for field in match.group("first", "second", "third") if field]
        if any(field >= 60 for field in fields[1:]):
            return None
        if len(fields) == 2:
            fields.insert(0, 0)
        hours, minutes, seconds = fields
        return hours * 3600 + minutes * 60 + seconds  # an int: no overflow however long
    return None


def parse_positive_duration(value: str | timedelta) -> timedelta:
    """Like `parse_duration`, but zero is refused too."""
    duration = parse_duration(value)
    if duration <= timedelta(0):
        raise typer.BadParameter(f"{value!r} must be longer than zero.")
    return duration


def format_duration(duration: timedelta) -> str:
    """The shortest way to write a duration in the syntax `parse_duration` accepts."""
    milliseconds = round(duration.total_seconds() * 1000)
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if milliseconds and milliseconds % size == 0:
            return f"{milliseconds // size}{unit}"
    return f"{milliseconds}ms"
