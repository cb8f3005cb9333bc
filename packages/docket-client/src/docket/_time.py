"""The only place where datetime and timedelta become integer milliseconds (names end in _ms)."""

import time
from datetime import UTC, datetime, timedelta

from ._errors import InvalidScheduleError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_ms() -> int:
    """Milliseconds since the epoch, by this machine's clock."""
    return time.time_ns() // 1_000_000


def datetime_to_ms(when: datetime) -> int:
    """Convert an aware datetime to epoch milliseconds; naive datetimes are refused."""
    if not isinstance(when, datetime):
        raise InvalidScheduleError(
            f"when={when!r} is not a datetime: pass an aware datetime, e.g. "
            "datetime.now(timezone.utc) + timedelta(minutes=5)."
        )
    if when.tzinfo is None or when.tzinfo.utcoffset(when) is None:
        raise InvalidScheduleError(
            f"when={when!r} has no time zone, so docket cannot tell when it is. "
            "Pass an aware datetime, e.g. datetime.now(timezone.utc) + timedelta(minutes=5)."
        )
    # Round up, in exact integer arithmetic: a task must never start before its `when`.
    microseconds = (when - EPOCH) // timedelta(microseconds=1)
    return -(-microseconds // 1000)


def ms_to_datetime(ms: int) -> datetime:
    """Convert epoch milliseconds to an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def timedelta_to_ms(delta: timedelta) -> int:
    """Convert a timedelta to whole milliseconds."""
    return int(delta.total_seconds() * 1000)
