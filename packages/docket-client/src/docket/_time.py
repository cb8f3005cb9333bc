"""The only place where datetime and timedelta become integer milliseconds (names end in _ms)."""

import time
from datetime import UTC, datetime, timedelta

from ._errors import InvalidScheduleError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_MS = (datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC) - EPOCH) // timedelta(
    milliseconds=1
)
"""The last millisecond a datetime can show (years 1 to 9999 in UTC)."""


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
    try:
        when.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidScheduleError(
            f"when={when!r} falls outside the years 1 to 9999 in UTC, which docket cannot "
            "store. Pass a datetime within them."
        ) from None
    # Round up, in exact integer arithmetic: a task must never start before its `when`.
    microseconds = (when - EPOCH) // timedelta(microseconds=1)
    ms = -(-microseconds // 1000)
    if ms > MAX_MS:  # 9999-12-31T23:59:59.9995+ rounds up past the last storable millisecond
        raise InvalidScheduleError(
            f"when={when!r} falls outside the years 1 to 9999 in UTC, which docket cannot "
            "store. Pass a datetime within them."
        )
    return ms


def ms_to_datetime(ms: int) -> datetime:
    """Convert epoch milliseconds to an aware UTC datetime."""
    return EPOCH + timedelta(milliseconds=ms)  # exact, unlike a float timestamp


def timedelta_to_ms(delta: timedelta) -> int:
    """Convert a timedelta to whole milliseconds."""
    return int(delta.total_seconds() * 1000)
