"""A bounded prefetch: read more messages than there are free slots while tasks are quick.

Reads sized to the free slots make many small round trips at low concurrency: at
concurrency 10, ten messages per XREADGROUP. So each read asks for `extra` more, kept here
until a slot frees. `extra` adapts: it doubles (up to `limit`) while the slots empty before
the next read, so quick tasks get big reads; it halves whenever prefetched messages had to
wait longer than PATIENCE for a slot, so slow tasks leave the queue to other workers (fair
sharing). Prefetched messages are this worker's in Redis from the read on: their leases are
renewed as running ones' are, a stop hands them back, and if the worker dies they are
delivered again like any message it held.
"""

import time
from collections import deque

from docket._backends.redis import Message

PATIENCE = 0.02
"""Seconds prefetched messages may wait for a slot before the prefetch shrinks."""
READ_TARGET = 100
"""The read size the prefetch grows towards at low concurrency."""
AHEAD = 9
"""At most this many messages per slot are prefetched: a single-slot worker reads ten at a
time, not a hundred, so two of them starting together share even a short burst."""


class Prefetch:
    """Messages read ahead of free slots, and how many more the next read asks for."""

    def __init__(self, concurrency: int) -> None:
        self.limit = max(concurrency, min(READ_TARGET - concurrency, AHEAD * concurrency))
        self.extra = 0
        self.waiting: deque[Message] = deque()
        self.since = 0.0
        """When the waiting messages were read (monotonic seconds)."""

    def count(self, free: int, concurrency: int) -> int:
        """How many messages to read now that `free` slots are free and none waits."""
        if free == concurrency:  # every slot emptied before this read: tasks are quick
            self.extra = min(self.limit, max(1, self.extra * 2))
        return free + self.extra

    def keep(
        self, messages: list[Message], free: int, held: dict[bytes, tuple[str, str] | None]
    ) -> list[Message]:
        """Keep the messages read beyond the `free` slots until slots free (noted in `held`,
        so their leases are renewed and a stop hands them back); the others, to start now."""
        for message_id, _ in messages[free:]:
            held[message_id] = None
        self.waiting.extend(messages[free:])
        self.since = time.monotonic()
        return messages[:free]

    def take(self, free: int) -> list[Message]:
        """Up to `free` waiting messages, in order of arrival."""
        if time.monotonic() - self.since > PATIENCE:
            self.extra //= 2  # they waited for slots: tasks are slower than reads
        waiting = self.waiting
        return [waiting.popleft() for _ in range(min(free, len(waiting)))]
