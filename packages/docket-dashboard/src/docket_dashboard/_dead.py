"""What the dead-letters page shows of a letter's call: its arguments, or why they cannot be shown.

A letter's payload is decoded the way docket reads a stored envelope (docket._decoding): the
generated key it may carry in front comes off, a docket with signing keys unpickles only what
they signed, and the docket's codec decides (msgpack never unpickles). Anything that does not
decode is shown as "cannot be shown: <why>", never raised.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from docket import Docket
from docket._codecs import unpack
from docket._dead import DeadLetter
from docket._errors import MessageDecodeError
from docket._generated import unwrapped
from docket._signing import UntrustedMessage, unsigned
from docket._speedups import decode_envelope

from ._detail import safe_repr

WHY_LENGTH = 200
"""The longest reason the page gives for arguments it cannot show."""


@dataclass(frozen=True, slots=True)
class Arguments:
    """A letter's arguments as the page shows them."""

    text: str
    """``(args) {kwargs}`` as truncated reprs, or ``cannot be shown: <why>``."""
    shown: bool
    """Whether the arguments decoded."""


def _refused(why: str) -> Arguments:
    why = " ".join(why.split())
    if len(why) > WHY_LENGTH:
        why = why[: WHY_LENGTH - 1] + "…"
    return Arguments(f"cannot be shown: {why}", False)


def arguments_of(docket: Docket, payload: bytes) -> Arguments:
    """The arguments of the call `payload` (a dead letter's ``d`` field) describes."""
    _carried, envelope = unwrapped(payload)
    try:
        body = unsigned(envelope) if docket.signer is None else docket.signer.verify(envelope)
    except UntrustedMessage as error:
        return _refused(str(error))
    try:
        _version, _key, name, _when, _attempt, _token, data = decode_envelope(body)
        args, kwargs = unpack(docket.codec, data, docket.tasks.get(name))
    except MessageDecodeError as error:
        return _refused(str(error))
    return Arguments(f"{safe_repr(args)} {safe_repr(kwargs)}", True)


def shown_letters(
    docket: Docket, letters: Sequence[DeadLetter]
) -> list[tuple[DeadLetter, Arguments]]:
    """Each of `letters` with its arguments, for the page's rows."""
    return [(letter, arguments_of(docket, letter.payload)) for letter in letters]
