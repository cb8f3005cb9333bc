"""Settling messages: acks, retries and dead letters, batched into one script call per turn."""

import asyncio
import logging
from typing import TYPE_CHECKING

from docket._record import outcome_field
from docket._scripts import AckEntry
from docket._time import timedelta_to_ms
from docket._transport import ReplyLostError, out_of_memory
from redis.exceptions import ResponseError

from ._records import forget_orphans

if TYPE_CHECKING:
    from ._worker import Worker

logger = logging.getLogger("docket.worker")

ACK_BATCH = 1000
GROWING_OPS = frozenset({"r", "u", "x"})
"""Ops that write new entries (retries, dead letters): refused while Redis is out of memory.
Start notes ('s') are refused too, and dropped then: a record is advisory, the run goes on."""
FINAL_OPS = frozenset({"a", "A", "f", "F"})
"""Settlements of a run that ran: they can carry its start (see Acks.settle_recorded)."""
OOM_BACKOFF = 1.0
"""Seconds between tries of the writes Redis refused for lack of memory."""


class Acks:
    """The settlements of finished messages, waiting to be sent in batches."""

    def __init__(self, worker: "Worker") -> None:
        self.worker = worker
        self.pending: list[AckEntry] = []
        self.starting: dict[bytes, AckEntry] = {}
        """Start notes not sent yet, by message id (only when the docket keeps records)."""
        self.ready = asyncio.Event()
        self.sending = asyncio.Lock()
        self.resend = False
        """The last batch's reply was lost: the next send says so (see ack.lua)."""

    def settle(self, entry: AckEntry) -> None:
        self.pending.append(entry)
        self.ready.set()

    def start(self, entry: AckEntry) -> None:
        """Queue the note that a run started (sent with the next batch)."""
        self.starting[entry[1]] = entry
        self.ready.set()

    def settle_recorded(self, entry: AckEntry, envelope: bytes, started_ms: int) -> None:
        """Settle a run that started at `started_ms` and is over, when the docket keeps
        records: the record's outcome field goes along (see docket._record), and the
        envelope; the run's start note, if not sent yet, is folded in (one entry, not two)."""
        op, message_id, key, token, data, when = entry[:6]
        error = str(entry[6]) if len(entry) > 6 else ""
        if op in FINAL_OPS:
            if self.starting.pop(message_id, None) is not None:
                when = started_ms  # tells ack.lua the start was folded in
            worker = self.worker
            outcome = outcome_field(worker.docket.now_ms(), worker.name, started_ms, error)
        else:  # a retry or the next run: scheduled again, with the last error if any
            outcome = outcome_field(None, "", None, error) if error else ""
        self.settle((op, message_id, key, token, data, when, outcome, envelope))

    async def flush(self) -> None:
        """Send every pending ack; on a connection error they stay queued for the next try.

        One flush at a time: two sending the same batch would run its retries twice.
        """
        async with self.sending:
            if self.starting:  # before anything else, so each precedes its run's settlement
                self.pending[0:0] = self.starting.values()
                self.starting.clear()
            while self.pending:
                batch = self.pending[:ACK_BATCH]
                try:
                    await self._send(batch)
                except ResponseError as error:
                    if not out_of_memory(error):
                        raise
                    await self._send_while_full(batch, error)
                    return
                del self.pending[: len(batch)]
                outage = self.worker.outage
                if outage.full and any(entry[0] in GROWING_OPS for entry in batch):
                    outage.wrote()

    async def _send(self, batch: list[AckEntry]) -> None:
        worker = self.worker
        grace_ms = timedelta_to_ms(worker.unknown_task_grace)
        try:
            result = await worker.docket.backend.ack(
                batch,
                worker.docket.now_ms(),
                grace_ms=grace_ms,
                worker=worker.name,
                resend=self.resend,
            )
        except ReplyLostError:
            self.resend = True
            raise
        self.resend = False
        held = worker.dispatcher.held
        for entry in batch:
            if entry[0] != "s":  # a start note settles nothing
                held.pop(entry[1], None)
        if result.orphaned:
            await forget_orphans(worker, batch, result.orphaned)
        for key in result.skipped:
            logger.warning(
                "retry or next run of key=%s skipped: the key was replaced or cancelled meanwhile",
                key,
            )
        for key in result.buried:
            worker.dispatcher.counts["dead_lettered"] += 1
            if worker.telemetry is not None:
                worker.telemetry.dead_lettered()
            logger.error(
                "dead-lettered key=%s: no worker registered its task within %s; register it "
                "(docket.register or `docket worker --tasks module:collection`), then requeue "
                "the letter",
                key,
                worker.unknown_task_grace,
            )

    async def _send_while_full(self, batch: list[AckEntry], error: ResponseError) -> None:
        """Redis is out of memory: acknowledge what only frees memory, keep the rest queued
        and try it again after a pause, so the queue keeps draining."""
        self.worker.outage.out_of_memory(error)
        plain = [entry for entry in batch if entry[0] not in GROWING_OPS and entry[0] != "s"]
        if plain:
            await self._send(plain)
        plain_ids = {entry[1] for entry in plain}
        self.pending = [
            entry for entry in self.pending if entry[1] not in plain_ids and entry[0] != "s"
        ]
        await asyncio.sleep(OOM_BACKOFF)
        self.ready.set()  # try the held-back writes again

    async def loop(self) -> None:
        while True:
            await self.ready.wait()
            self.ready.clear()
            await self.flush()
