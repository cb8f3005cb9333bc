"""Retry arithmetic: how long to wait before the next attempt, if any is left."""

from docket import ExponentialRetry, Retry
from docket._time import timedelta_to_ms


def retry_delay_ms(policy: Retry, attempt: int) -> int | None:
    """The delay after run number `attempt` failed, or None when no attempts are left."""
    if policy.attempts is not None and attempt >= policy.attempts:
        return None
    if isinstance(policy, ExponentialRetry):
        minimum = timedelta_to_ms(policy.minimum_delay)
        maximum = timedelta_to_ms(policy.maximum_delay)
        return min(minimum << min(attempt - 1, 64), maximum)
    return timedelta_to_ms(policy.delay)
