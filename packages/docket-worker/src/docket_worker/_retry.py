"""Retry arithmetic: when the next attempt is due, if any is left."""

import random

from docket import ExponentialRetry, ForcedRetry, Retry
from docket._time import timedelta_to_ms


def retry_delay_ms(policy: Retry, attempt: int) -> int | None:
    """The delay after run number `attempt` failed, or None when no attempts are left.

    With jitter, a random extra drawn uniformly from 0 to ``jitter * delay`` is added, so the
    delay is never shorter than the policy's own.
    """
    if policy.attempts is not None and attempt >= policy.attempts:
        return None
    if isinstance(policy, ExponentialRetry):
        minimum = timedelta_to_ms(policy.minimum_delay)
        maximum = timedelta_to_ms(policy.maximum_delay)
        delay = min(minimum << min(attempt - 1, 64), maximum)
    else:
        delay = timedelta_to_ms(policy.delay)
    jitter = getattr(policy, "jitter", 0.0)  # a Retry pickled before jitter existed has none
    if jitter:
        delay += int(random.random() * jitter * delay)
    return delay


def retry_due_ms(policy: Retry | None, attempt: int, error: BaseException, now: int) -> int | None:
    """When the next attempt of a run that raised `error` is due (epoch ms), or None when
    no attempts are left. A ForcedRetry (``retry.in_`` / ``retry.at``) names its own time."""
    if policy is None:
        return None
    if isinstance(error, ForcedRetry):
        if policy.attempts is not None and attempt >= policy.attempts:
            return None
        return max(error.when_ms, now)
    delay = retry_delay_ms(policy, attempt)
    return None if delay is None else now + delay
