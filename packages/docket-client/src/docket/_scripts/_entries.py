"""The shapes of what the scripts take and give back: ack entries, schedule calls, results."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from .._signing import Signer

AckEntry = (
    tuple[str, bytes, str, str, bytes | str, int]
    | tuple[str, bytes, str, str, bytes | str, int, str]
    | tuple[str, bytes, str, str, bytes | str, int, str, bytes]
)
"""(op, message id, key, token, data, when_ms[, extra[, envelope]]); op is 'a' ack, 'f'
failed, 'r' retry, 'x' dead-letter, 'u' unknown task or 's' started; 'A' and 'F' are 'a' and
'f' with the result in result_storage (see ack.lua). `extra` (an error's text) and `envelope`
(the message's payload, for its record) only matter with records kept."""
_PADDING: tuple[Any, ...] = (None, None, None, None, None, None, "", b"")
"""What an entry shorter than eight values is padded with, from its length on."""

HandbackEntry = tuple[bytes, str, str]
"""(message id, key, token) of a message a stopping worker hands back."""

REPLICATION_TIMEOUT_MS = 1000
"""How long one add with durability="replicated" waits for a replica (WAIT 1 <ms>)."""
CANCEL_MEMORY_MS = 60_000
"""How long a cancel remembers its own token, so a re-send after a lost reply answers True."""


@dataclass(frozen=True, slots=True)
class AckResult:
    """What an ack batch reports back."""

    skipped: list[str]
    """Keys of retries not scheduled: the key was replaced or cancelled meanwhile."""
    buried: list[str]
    """Keys of unknown-task messages dead-lettered now: their grace was over."""
    orphaned: list[str] = field(default_factory=list)
    """Keys whose result went to result_storage though their execution had been replaced or
    cancelled meanwhile, so no record refers to it."""


ScheduleArgs = tuple[str, str, int, bytes, bool, bool]
"""(key, token, when_ms, payload, immediate, new_key) of one execution to schedule; `new_key`
when the client made the key up just now (a random one), so it cannot be pending."""


def signed_retry(entry: AckEntry, signer: Signer) -> AckEntry:
    """`entry` with the payload of a retry op signed ('r': the only op that writes one)."""
    if entry[0] != "r" or not isinstance(entry[4], bytes):
        return entry
    return cast(AckEntry, (*entry[:4], signer.sign(entry[4]), *entry[5:]))


PLAIN_OPS = frozenset({"a", "f"})


def split_plain(entries: Sequence[AckEntry]) -> tuple[list[bytes], list[AckEntry]]:
    """The ids of the entries a plain XACK + XDEL settles (a finished run of a generated key,
    which has no task hash to clear: see docket._generated), and the entries ack.lua must."""
    plain: list[bytes] = []
    scripted: list[AckEntry] = []
    for entry in entries:
        key = entry[2]
        if entry[0] in PLAIN_OPS and key[:1] == "~" and key[1:] == entry[1].decode():
            plain.append(entry[1])
        else:
            scripted.append(entry)
    return plain, scripted
