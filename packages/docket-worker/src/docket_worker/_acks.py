"""Settling messages: acks, retries and dead letters, batched into one script call per turn."""

import asyncio
import logging
from typing import TYPE_CHECKING

from docket._scripts import AckEntry
from docket._time import now_ms, timedelta_to_ms
from docket._transport import ReplyLostError, out_of_memory
from redis.exceptions import ResponseError

if TYPE_CHECKING:
    from ._worker import Worker

logger = logging.getLogger("docket.worker")

ACK_BATCH = 1000
GROWING_OPS = frozenset({"r", "u", "x"})
"""Ops that write new entries (retries, dead letters): refused while Redis is out of memory."""
OOM_BACKOFF = 1.0
"""Seconds between tries of the writes Redis refused for lack of memory."""


class Acks:
    """The settlements of finished messages, waiting to be sent in batches."""

    def __init__(self, worker: "Worker") -> None:
        self.worker = worker
        self.pending: list[AckEntry] = []
        self.ready = asyncio.Event()
        self.sending = asyncio.Lock()
        self.resend = False
        """The last batch's reply was lost: the next send says so (see ack.lua)."""

    def settle(self, entry: AckEntry) -> None:
        self.pending.append(entry)
        self.ready.set()

    async def flush(self) -> None:
        """Send every pending ack; on a connection error they stay queued for the next try.

        One flush at a time: two sending the same batch would run its retries twice.
        """
        async with self.sending:
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
                batch, now_ms(), grace_ms=grace_ms, resend=self.resend
            )
        except ReplyLostError:
            self.resend = True
            raise
        self.resend = False
        held = worker.dispatcher.held
        for entry in batch:
            held.pop(entry[1], None)
        for key in result.skipped:
            logger.warning(
                "retry or next run of key=%s skipped: the key was replaced or cancelled meanwhile",
                key,
            )
        for key in result.buried:
            worker.dispatcher.counts["dead_lettered"] += 1
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
        plain = [entry for entry in batch if entry[0] not in GROWING_OPS]
        if plain:
            await self._send(plain)
            plain_ids = {entry[1] for entry in plain}
            self.pending = [entry for entry in self.pending if entry[1] not in plain_ids]
        await asyncio.sleep(OOM_BACKOFF)
        self.ready.set()  # try the held-back writes again

    async def loop(self) -> None:
        while True:
            await self.ready.wait()
            self.ready.clear()
            await self.flush()
