"""Producer calls ride out short Redis outages, and say plainly what happened when they cannot.

A call is tried again until the docket's `reconnect_timeout` is over. A call whose reply was
lost is sent again marked as a re-send: every docket script recognises its own call (by its
token), so a call that went through is not done twice.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ._backends._locate import is_located
from ._errors import DocketConnectionError, DocketOutOfMemoryError
from ._transport import NotReplicatedError, ReplyLostError, out_of_memory

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)
FIRST_BACKOFF = 0.02
MAX_BACKOFF = 0.5
FAILOVER_PAUSE = 0.2
"""Seconds between tries to open a docket on a cluster or Sentinel set-up mid-failover."""


async def persist[T](
    operation: Callable[[bool], Awaitable[T]], *, within: float, action: str, url: str
) -> T:
    """Run `operation(resend)` until it succeeds or `within` seconds have passed.

    `resend` is True once an earlier try may have gone through (its reply was lost).
    `action` and `url` (redacted) word the error raised in the end.
    """
    deadline = time.monotonic() + within
    resend = False
    backoff = FIRST_BACKOFF
    while True:
        try:
            return await operation(resend)
        except UNREACHABLE as error:
            resend = resend or isinstance(error, ReplyLostError)
            if time.monotonic() + backoff > deadline:
                raise unreachable(action, url, error, resend, within) from error
        except Exception as error:
            if out_of_memory(error):
                raise DocketOutOfMemoryError(
                    f"could not {action}: Redis at {url} is out of memory (maxmemory) and "
                    "refuses new work. Let the workers drain the docket, raise maxmemory, or "
                    "free memory, then try again."
                ) from error
            raise
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF)


def unreachable(
    action: str, url: str, error: Exception, outcome_unknown: bool, timeout: float
) -> DocketConnectionError:
    """The error for a call that did not get through, saying whether it may have happened."""
    reason = str(error).rstrip(".")
    tried = f"tried for {timeout:g} s (reconnect_timeout)"
    if isinstance(error, NotReplicatedError):
        return DocketConnectionError(
            f"could not {action} durably: Redis at {url} ran the call but no replica confirmed "
            f"it ({tried}); a failover could still lose it. Check the replicas; retrying a "
            "keyed add, replace or cancel is safe.",
            outcome_unknown=True,
        )
    if outcome_unknown:
        return DocketConnectionError(
            f"could not {action}: the connection to Redis at {url} dropped after the call was "
            f"sent ({reason}; {tried}), so the outcome is unknown: it may have happened. "
            "Retrying a keyed add, replace or cancel is safe; an add without a key may then "
            "run twice.",
            outcome_unknown=True,
        )
    return DocketConnectionError(
        f"could not {action}: Redis at {url} is unreachable ({reason}; {tried}). "
        "The call certainly did not happen; retrying it is safe.",
        outcome_unknown=False,
    )


async def through_failover[T](
    url: str, within: timedelta, operation: Callable[[], Awaitable[T]]
) -> T:
    """Run a set-up step (opening, creating the consumer group); on a cluster or Sentinel
    set-up, keep trying through a failover (whose dead master may still be named for a few
    seconds) for `within`. On a single server it fails at once."""
    if not is_located(url):
        return await operation()
    deadline = time.monotonic() + within.total_seconds()
    while True:
        try:
            return await operation()
        except UNREACHABLE:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(FAILOVER_PAUSE)
