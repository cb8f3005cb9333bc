"""Keys docket makes up from stream entry ids, for the cheapest tasks.

A task added without a key, due at once, on a docket that keeps no execution records, is sent
as one plain XADD: no script, no task hash. Its key is ``~`` and the id of its stream entry,
so the key says where its message is, and cancel, replace and get_execution find it there
(prelude.lua's ``generated_id``). Its envelope names no key and no token; the worker reads
both from the entry id. When the execution must outlive that entry (a retry, a hand-back, a
hold), a script gives it a task hash like any other key's and puts its key in front of the
new entry's payload (``carrying_key``), which `unwrapped` takes off again.
"""

import re

MARK = 0xC0
"""First byte of a payload that carries its generated key (an envelope never starts so)."""

_GENERATED = re.compile(r"~\d+-\d+")


def generated_key(message_id: bytes) -> str:
    """The key of the execution whose first entry is `message_id`."""
    return "~" + message_id.decode()


def is_generated(key: str) -> bool:
    """Whether `key` has the form of a generated one."""
    return key[:1] == "~" and _GENERATED.fullmatch(key) is not None


def unwrapped(payload: bytes) -> tuple[str | None, bytes]:
    """The key a payload carries in front (or None) and the payload without it. A front that
    is not a key docket wrote (no NUL, not UTF-8) is left on: the payload then decodes as no
    envelope, and a worker dead-letters it."""
    if payload[:1] != b"\xc0":
        return None, payload
    end = payload.find(b"\x00", 1)
    if end < 0:
        return None, payload
    try:
        return payload[1:end].decode(), payload[end + 1 :]
    except UnicodeDecodeError:
        return None, payload


def key_and_token(message_id: bytes, carried: str | None, key: str, token: str) -> tuple[str, str]:
    """The key and token of a message whose envelope names `key` and `token` ('' for a
    generated one: then the key is the one carried, or the entry's own, and is the token)."""
    if key:
        return key, token
    key = carried or generated_key(message_id)
    return key, key
