"""VirtualClock: time that a test moves by hand, so a week of schedules runs in milliseconds.

    clock = VirtualClock(docket)
    async with Worker(docket).running():
        await docket.add(remind, when=clock.now() + timedelta(days=1))()
        await clock.advance(timedelta(days=2))   # the reminder has run

While a clock is attached, the docket and the workers of this process that serve it read
the time from the clock, not the machine: due times, retry delays, Perpetual and Cron
schedules. The clock stands still until `advance` moves it: to each due time in order, each
time moving what fell due into the stream with the production script and waiting until the
workers have settled it, so tasks scheduled by tasks run too, deterministically. It works on
memory:// and on Redis; the workers must run in this process, on the same Docket object.
"""

import asyncio
import time
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from ._time import datetime_to_ms, ms_to_datetime, now_ms, timedelta_to_ms

if TYPE_CHECKING:
    from ._docket import Docket

MOVE_BATCH = 1000
SETTLE_WITHIN = 30.0
"""Seconds `advance` waits for the workers to settle what fell due before it gives up."""
POLL_FIRST, POLL_MOST = 0.0005, 0.01


class VirtualClock:
    """A stopped clock for one docket, moved forward by `advance` (see the module docstring).

    It starts at `start` (default: the machine's time now) and stays attached to the docket
    until `detach()` (or the end of a ``with`` block).
    """

    def __init__(self, docket: "Docket", start: datetime | None = None) -> None:
        self.docket = docket
        self._ms = now_ms() if start is None else datetime_to_ms(start)
        self._previous = docket._clock
        docket._clock = self._now_ms

    def _now_ms(self) -> int:
        return self._ms

    def now(self) -> datetime:
        """The clock's time, as an aware UTC datetime."""
        return ms_to_datetime(self._ms)

    def detach(self) -> None:
        """Give the docket back its previous clock."""
        if self.docket._clock == self._now_ms:
            self.docket._clock = self._previous

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.detach()

    async def advance(self, delta: timedelta) -> None:
        """Move the clock `delta` forward, running everything that falls due on the way, in
        the order it falls due (each due time reached in turn), and return once the docket's
        workers have settled it all."""
        if delta < timedelta(0):
            raise ValueError(f"advance({delta!r}): a clock only moves forward.")
        await self.advance_to(ms_to_datetime(self._ms + timedelta_to_ms(delta)))

    async def advance_to(self, when: datetime) -> None:
        """Move the clock to `when` (not back), running what falls due until then."""
        target = max(datetime_to_ms(when), self._ms)
        shards = self.docket._views or [self.docket]
        while True:
            await self._settled()
            earliest = [(await _earliest(shard), shard) for shard in shards]
            heads = [(head, shard) for head, shard in earliest if head is not None]
            if not heads or min(head for head, _ in heads) > target:
                break
            self._ms = max(self._ms, min(head for head, _ in heads))
            for head, shard in heads:
                if head <= self._ms:
                    await shard.backend.move_due(self._ms, MOVE_BATCH)
        self._ms = target

    async def _settled(self) -> None:
        """Wait until the stream is empty: every due execution ran and was acknowledged."""
        deadline = time.monotonic() + SETTLE_WITHIN
        pause = POLL_FIRST
        while True:
            shards = self.docket._views or [self.docket]
            streamed = sum([(await shard.backend.backlog())[0] for shard in shards])
            if streamed == 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"VirtualClock: {streamed} execution(s) of docket {self.docket.name!r} are "
                    f"due but were not settled within {SETTLE_WITHIN:.0f} s. Run a Worker on "
                    "this Docket in this process (`async with Worker(docket).running():`), "
                    "and check for a task that never ends."
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, POLL_MOST)

    def __repr__(self) -> str:
        return f"VirtualClock({self.docket.name!r}, now={self.now().isoformat()})"


async def _earliest(docket: "Docket") -> int | None:
    """The due time of the earliest parked execution of `docket` (one shard), or None."""
    reply: Any = await docket.backend.transport.execute(
        "ZRANGE", docket.keys.queue, 0, 0, "WITHSCORES"
    )
    if not reply:
        return None
    score = reply[0][1] if isinstance(reply[0], list) else reply[1]
    return int(float(score))
