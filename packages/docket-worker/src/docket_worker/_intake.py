"""What a worker makes of a message before it runs anything: its envelope, checked and decoded,
or a dead letter (or a plain ack) with the reason when there is none to run."""

from typing import TYPE_CHECKING

from docket import MessageDecodeError
from docket._generated import MARK, generated_key, unwrapped
from docket._kernels import Envelope
from docket._signing import SIGNED_BYTE, UntrustedMessage, unsigned
from docket._speedups import decode_envelope

if TYPE_CHECKING:
    from ._dispatch import Dispatcher

NO_ENVELOPE_REASON = (
    "the stream entry has no docket envelope (its field 'd' is missing or empty): it was not "
    "added by docket's client"
)
SIGNED_WITHOUT_KEYS = (
    "signed message, and this worker has no signing keys to check it: give the worker the "
    "producer's signing_keys (Docket(signing_keys=...) or DOCKET_SIGNING_KEYS), then requeue "
    "this letter"
)


def _key_and_token(message_id: bytes, payload: bytes) -> tuple[str, str]:
    """The key and token a refused message names, for its dead letter (msgpack only: its
    arguments stay bytes, nothing is unpickled); empty when it does not decode. A generated
    key's envelope names none: then they are its entry's (see docket._generated)."""
    try:
        envelope = decode_envelope(unsigned(payload))
    except MessageDecodeError:
        return "", ""
    if not envelope[1]:
        key = generated_key(message_id)
        return key, key
    return envelope[1], envelope[5]


def envelope_of(
    dispatcher: "Dispatcher", message_id: bytes, payload: bytes | None
) -> Envelope | None:
    """The decoded envelope of a message, or None once a message without one is settled."""
    if payload is None:  # the entry was deleted while pending: nothing is left to run
        dispatcher.settle(("a", message_id, "", "", b"", 0))
        return None
    if not payload:
        dispatcher.dead_letter(message_id, "", NO_ENVELOPE_REASON)
        return None
    carried = None
    if payload[0] == MARK:
        carried, payload = unwrapped(payload)
        if not payload:  # a carried key and nothing after it
            dispatcher.dead_letter(message_id, carried or "", NO_ENVELOPE_REASON)
            return None
    if dispatcher.signer is not None or payload[0] == SIGNED_BYTE:
        envelope = _verified(dispatcher, message_id, payload)
    else:
        try:
            envelope = decode_envelope(payload)
        except MessageDecodeError as error:
            dispatcher.dead_letter(message_id, carried or "", str(error))
            return None
    if envelope is None or envelope[1]:
        return envelope
    # a generated key (docket._generated): the entry's id, or the key its payload carries
    key = carried or generated_key(message_id)
    version, _, function, when_ms, attempt, _, arguments = envelope
    return version, key, function, when_ms, attempt, key, arguments


def _verified(dispatcher: "Dispatcher", message_id: bytes, payload: bytes) -> Envelope | None:
    """The envelope of a payload whose signature checks out, before anything of it is
    decoded; a dead letter with the reason otherwise (see docket._signing)."""
    try:
        if dispatcher.signer is None:
            raise UntrustedMessage(SIGNED_WITHOUT_KEYS)
        return decode_envelope(dispatcher.signer.verify(payload))
    except (UntrustedMessage, MessageDecodeError) as error:
        key, token = _key_and_token(message_id, payload)
        dispatcher.dead_letter(message_id, key, str(error), token)
        return None
