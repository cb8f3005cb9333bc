"""Holding struck executions: a worker that takes one does not run it, and does not lose it.

`Holds.hold_if_struck` is called for each decoded execution before it starts (see
Dispatcher.start). A struck one is parked in Redis by hold.lua: its payload back in its task
hash, as a scheduled one's, its key in the docket's held set, its message settled in the same
script, so it is acknowledged exactly once and its key stays pending. A restore puts the held
ones back on the stream (docket._strike_follow.lift_strike), where workers check them again.

The holds of one batch of messages go to Redis in one script call, from a task counted among
the dispatcher's running ones (so a stop waits for it, and `run_until_finished` too). Until
the script has run, the message stays in the dispatcher's `held` dict: its lease is renewed,
and a worker that stops first hands it back like any unfinished message.
"""

import asyncio
import functools
import logging
from typing import TYPE_CHECKING

from docket import Execution
from docket._scripts import HoldEntry
from docket._strikes import Strike

from ._outage import survive_outages

if TYPE_CHECKING:
    from ._worker import Worker

logger = logging.getLogger("docket.worker")

HOLD_BATCH = 500
"""Messages held per script call."""


def struck(worker: "Worker", execution: Execution) -> Strike | None:
    """The strike in effect that `execution` matches, or None. Its arguments are bound to the
    task's signature when this worker knows the task (a fallback task's does not count)."""
    docket = worker.docket
    strikes = docket._strikes
    if not strikes.active:
        return None
    function = docket.tasks.get(execution.function_name)
    return strikes.match(execution.function_name, function, execution.args, execution.kwargs)


class Holds:
    """The struck messages a worker took and has not parked in Redis yet."""

    def __init__(self, worker: "Worker") -> None:
        self.worker = worker
        self.pending: list[tuple[HoldEntry, Execution, Strike]] = []
        self._sending: asyncio.Task[None] | None = None

    def hold_if_struck(self, execution: Execution) -> bool:
        """Hold `execution` instead of running it if it matches a strike; True if so."""
        strike = struck(self.worker, execution)
        if strike is None:
            return False
        if self.worker.telemetry is not None:
            self.worker.telemetry.stricken(execution)
        assert execution.message_id is not None
        entry = (execution.message_id, execution.key, execution.token, strike.id)
        self.pending.append((entry, execution, strike))
        if self._sending is None:
            dispatcher = self.worker.dispatcher
            task = asyncio.get_running_loop().create_task(self._send_all(), name="docket holds")
            self._sending = task
            dispatcher.running.add(task)
            task.add_done_callback(self._sent)
        return True

    def _sent(self, task: asyncio.Task[None]) -> None:
        if self._sending is task:  # cancelled before it began: its `finally` never ran
            self._sending = None
            self.pending.clear()
        dispatcher = self.worker.dispatcher
        dispatcher.running.discard(task)
        dispatcher.slot_freed.set()

    async def _send_all(self) -> None:
        try:
            while self.pending:
                batch = self.pending[:HOLD_BATCH]
                try:
                    await survive_outages(self.worker.outage, functools.partial(self._send, batch))
                except Exception:
                    logger.exception("could not hold %d struck execution(s)", len(batch))
                    # Not parked: let their leases lapse, so a worker takes them again later.
                    for (message_id, *_), _execution, _strike in batch:
                        self.worker.dispatcher.held.pop(message_id, None)
                del self.pending[: len(batch)]
        except asyncio.CancelledError:
            self.pending.clear()  # the worker stops: it hands these back with the rest
            raise
        finally:
            self._sending = None  # no await since the last look at `pending`

    async def _send(self, batch: list[tuple[HoldEntry, Execution, Strike]]) -> None:
        worker = self.worker
        docket = worker.docket
        outcomes = await docket.backend.scripts.hold(
            [entry for entry, _execution, _strike in batch], docket.now_ms()
        )
        held = worker.dispatcher.held
        lifted = False
        for (entry, execution, strike), outcome in zip(batch, outcomes, strict=True):
            held.pop(entry[0], None)
            name, key = execution.function_name, execution.key
            if outcome == 1:
                logger.info("held %s key=%s: struck (%s); a restore runs it", name, key, strike)
            elif outcome == 2:
                lifted = True
                logger.info("not held %s key=%s: its strike (%s) was lifted", name, key, strike)
            elif outcome == 0:
                logger.info(
                    "dropped %s key=%s: struck (%s), and its key was replaced or cancelled "
                    "meanwhile",
                    name,
                    key,
                    strike,
                )
        if lifted:  # this worker had not heard of the restore yet
            follower = docket._strike_follower
            if follower is not None:
                follower.reload_soon()
