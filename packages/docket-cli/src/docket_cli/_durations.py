"""Durations on the command line: 250ms, 30s, 5m, 1h, mm:ss, hh:mm:ss or plain seconds."""

import math
import re
from datetime import timedelta

import typer

_WITH_UNIT = re.compile(r"(?P<number>\d+(?:\.\d+)?)(?P<unit>ms|s|m|h)?")
_CLOCK = re.compile(r"(?P<first>\d+):(?P<second>\d{2})(?::(?P<third>\d{2}))?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}

DURATION_FORMATS = "250ms, 30s, 5m, 1h, mm:ss, hh:mm:ss or plain seconds like 2.5"


def parse_duration(value: str | timedelta) -> timedelta:
    """Turn a duration from the command line or the environment into a timedelta.

    Raises typer.BadParameter (a usage error, exit code 2) naming the accepted formats.
    """
    if isinstance(value, timedelta):  # a default, already parsed
        return value
    text = value.strip()
    if match := _WITH_UNIT.fullmatch(text):
        seconds = float(match["number"]) * _UNIT_SECONDS[match["unit"]]
        if math.isfinite(seconds):
            return timedelta(seconds=seconds)
    elif match := _CLOCK.fullmatch(text):
        first, second, third = int(match["first"]), int(match["second"]), match["third"]
        if third is None and second < 60:
            return timedelta(minutes=first, seconds=second)
        if third is not None and second < 60 and int(third) < 60:
            return timedelta(hours=first, minutes=second, seconds=int(third))
    raise typer.BadParameter(f"{value!r} is not a duration: use {DURATION_FORMATS}.")


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
