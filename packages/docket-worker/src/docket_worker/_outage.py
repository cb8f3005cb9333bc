"""Redis outages: log each once, back off, and let every loop carry on when Redis returns.

Redis at maxmemory counts as an outage of its writes: the loop whose write was refused backs
off and tries again, while reads and acknowledgements (which free memory) carry on.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from docket._transport import out_of_memory
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("docket.worker")

CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)
MIN_BACKOFF = 0.05
MAX_BACKOFF = 5.0


class Outage:
    """Tracks whether Redis is reachable, so an outage is logged once, not once per loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.down = False
        self.full = False

    def out_of_memory(self, error: BaseException) -> None:
        if not self.full:
            self.full = True
            logger.warning(
                "Redis at %s is out of memory (maxmemory): finished tasks are still "
                "acknowledged; retries, dead letters and due tasks wait, tried again with "
                "backoff (%s)",
                self.url,
                error,
            )

    def failed(self, error: BaseException) -> None:
        if not self.down:
            self.down = True
            logger.warning(
                "lost Redis at %s (%s: %s); retrying with backoff, no task is lost",
                self.url,
                type(error).__name__,
                error,
            )

    def wrote(self) -> None:
        """A write that grows the docket went through: Redis has memory (again)."""
        if self.full:
            self.full = False
            logger.warning("Redis at %s has memory again; carrying on", self.url)

    def recovered(self) -> None:
        if self.down:
            self.down = False
            logger.warning("Redis at %s is back; carrying on", self.url)


async def survive_outages(outage: Outage, loop: Callable[[], Awaitable[None]]) -> None:
    """Run `loop` again after each connection error or out-of-memory refusal, with
    exponential backoff."""
    backoff = MIN_BACKOFF
    last_failure = 0.0
    while True:
        try:
            await loop()
            return
        except CONNECTION_ERRORS as error:
            outage.failed(error)
        except ResponseError as error:
            if not out_of_memory(error):
                raise
            outage.out_of_memory(error)
        now = time.monotonic()
        if now - last_failure > 2 * MAX_BACKOFF:
            backoff = MIN_BACKOFF  # a new outage, not the same one going on
        last_failure = now
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF)
