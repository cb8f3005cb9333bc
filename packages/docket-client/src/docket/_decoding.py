"""Executions read back from stored envelopes, by clients that may lack the task's code."""

from typing import TYPE_CHECKING

from ._codecs import unpack
from ._errors import MessageDecodeError
from ._execution import Execution
from ._generated import generated_key, unwrapped
from ._signing import Signer, UntrustedMessage, unsigned
from ._speedups import decode_envelope

if TYPE_CHECKING:
    from ._docket import Docket


def execution_from_envelope(
    docket: "Docket", envelope: bytes, message_id: bytes | None = None, key: str | None = None
) -> tuple[Execution, bool] | None:
    """The execution an envelope describes, and whether its arguments unpickled here (if
    not, args and kwargs are empty); None when it is not docket's message. A generated key's
    envelope names none (see docket._generated): its key is the one the payload carries,
    else `key`, else the one `message_id` (its stream entry) makes."""
    carried, envelope = unwrapped(envelope)
    body, trusted = _checked(docket.signer, envelope)
    try:
        _version, named, name, when_ms, attempt, token, arguments = decode_envelope(body)
    except MessageDecodeError:
        return None
    if named:
        key = named
    else:
        key = carried or key or (generated_key(message_id) if message_id else "")
        token = key
    try:
        if not trusted:  # a docket with signing keys unpickles only what they signed
            raise MessageDecodeError("the message's signature does not check out")
        args, kwargs = unpack(docket.codec, arguments, docket.tasks.get(name))
        decoded = True
    except MessageDecodeError:
        args, kwargs, decoded = (), {}, False
    execution = Execution._create(
        function=docket.tasks.get(name),
        function_name=name,
        args=args,
        kwargs=kwargs,
        when_ms=when_ms,
        key=key,
        attempt=attempt,
        token=token,
    )
    execution.docket = docket
    return execution, decoded


def task_name_of(payload: bytes) -> str | None:
    """The task name a stored payload's envelope carries, read without unpickling or checking
    a signature; None when it is not docket's message."""
    try:
        name: str = decode_envelope(unsigned(unwrapped(payload)[1]))[2]
    except MessageDecodeError:
        return None
    return name


def _checked(signer: Signer | None, payload: bytes) -> tuple[bytes, bool]:
    """The envelope of `payload`, and whether its arguments may be unpickled: always without
    signing keys; with them, only when the signature checks out."""
    if signer is None:
        return unsigned(payload), True
    try:
        return signer.verify(payload), True
    except UntrustedMessage:
        return unsigned(payload), False
