"""Dead letters: messages no worker could run, kept with the reason until requeued or purged."""

from dataclasses import dataclass

from ._backends import RedisBackend
from ._decoding import task_name_of
from ._generated import unwrapped
from ._signing import unsigned
from ._speedups import decode_envelope

PAGE = 500


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One message on a docket's dead-letter stream."""

    id: str
    key: str
    function: str | None
    reason: str
    payload: bytes

    @property
    def requeueable(self) -> bool:
        """Whether the payload is a docket envelope that can go back on the stream."""
        return self.function is not None


async def list_dead_letters(backend: RedisBackend, limit: int) -> list[DeadLetter]:
    letters = []
    for entry_id, fields in await backend.dead_letters(limit):
        payload = fields.get(b"d", b"")
        letters.append(
            DeadLetter(
                id=entry_id.decode(),
                key=fields.get(b"key", b"").decode(),
                function=task_name_of(payload),
                reason=fields.get(b"reason", b"").decode(errors="replace"),
                payload=payload,
            )
        )
    return letters


async def requeue_dead_letters(backend: RedisBackend, key: str | None) -> int:
    """Put dead letters (all, or those of one key) back on the stream; returns how many."""
    requeued = 0
    for letter in await list_dead_letters(backend, limit=1_000_000):
        if not letter.requeueable or (key is not None and letter.key != key):
            continue
        carried, payload = unwrapped(letter.payload)
        _version, envelope_key, _function, _when, _attempt, token, _args = decode_envelope(
            unsigned(payload)
        )
        if not envelope_key:  # a generated key (docket._generated): the letter names it
            envelope_key = token = carried or letter.key
        if await backend.requeue(letter.id.encode(), envelope_key, token, letter.payload):
            requeued += 1
    return requeued


async def purge_dead_letters(backend: RedisBackend, key: str | None) -> int:
    """Delete dead letters (all, or those of one key, PAGE at a time); returns how many."""
    if key is None:
        return await backend.purge_dead_letters()
    purged, after = 0, None
    while page := await backend.dead_letters(PAGE, after):
        after = page[-1][0]
        ids = [i for i, fields in page if fields.get(b"key", b"").decode(errors="replace") == key]
        purged += await backend.delete_dead_letters(ids)
    return purged
