"""Signed messages: a worker with signing keys runs only what a key holder sent.

A signed payload is ``0xC1 + HMAC-SHA256(key, envelope) + envelope``: the whole envelope (key,
function name, when, attempt, token, arguments, trace context) is covered. 0xC1 is the one byte
msgpack never uses, so no envelope starts with it and signed and unsigned payloads cannot be
mistaken for each other. The first key signs; every key verifies, so keys rotate without
downtime: add the new key second, deploy, move it first, deploy, drop the old one.

Verification happens before anything of the message is decoded or unpickled. Scripts only
move payloads around (parking, holding, handing back, requeueing), so a signature stays valid
through them; what a worker writes anew (a retry, the next run of a Perpetual) it signs itself.
"""

import hashlib
import hmac
import os
from collections.abc import Sequence

SIGNED_HEAD = b"\xc1"
SIGNED_BYTE = SIGNED_HEAD[0]
DIGEST_SIZE = hashlib.sha256().digest_size
SIGNED_PREFIX = len(SIGNED_HEAD) + DIGEST_SIZE
SIGNING_KEYS_ENVVAR = "DOCKET_SIGNING_KEYS"


class UntrustedMessage(Exception):
    """A message a worker with signing keys will not run; the text says why and what to do."""


class Signer:
    """Signs with the first of `keys`, verifies with any of them."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        checked = [bytes(key) for key in keys]
        if not checked or not all(checked) or len(checked) != len(keys):
            raise ValueError(
                "Docket(signing_keys=...) takes a non-empty list of non-empty bytes keys, "
                'e.g. [b"current-secret", b"previous-secret"].'
            )
        if any(len(key) < 16 for key in checked):
            raise ValueError(
                "a signing key shorter than 16 bytes is too easy to guess: use 32 random "
                "bytes, e.g. secrets.token_urlsafe(32).encode()."
            )
        self._macs = [_Mac(key) for key in checked]

    def sign(self, envelope: bytes) -> bytes:
        return SIGNED_HEAD + self._macs[0].of(envelope) + envelope

    def verify(self, payload: bytes) -> bytes:
        """The envelope of a payload one of the keys signed; UntrustedMessage otherwise."""
        if payload[:1] != SIGNED_HEAD:
            raise UntrustedMessage(
                "unsigned message, and this worker has signing keys: it runs only signed "
                "messages. Give the producer the same signing_keys (DOCKET_SIGNING_KEYS), "
                "then requeue this letter"
            )
        if len(payload) <= SIGNED_PREFIX:
            raise UntrustedMessage("a signed message cut short (no envelope after the MAC)")
        mac, envelope = payload[1:SIGNED_PREFIX], payload[SIGNED_PREFIX:]
        for key in self._macs:
            if hmac.compare_digest(key.of(envelope), mac):
                return envelope
        raise UntrustedMessage(
            "bad signature: the message was changed or forged, or signed with a key this "
            "worker lacks (after a rotation, list the old key second in signing_keys)"
        )


class _Mac:
    """HMAC-SHA256 with one key, its padded inner and outer states hashed once: a message
    then costs two hash copies, a third of what `hmac.digest` takes to key itself anew."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        block = hashlib.sha256().block_size
        padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
        self._inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in padded))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in padded))

    def of(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


def signer_for(keys: Sequence[bytes] | None) -> Signer | None:
    return None if keys is None else Signer(keys)


def unsigned(payload: bytes) -> bytes:
    """The envelope of a payload, signed or not, without checking anything (for reading a
    record or a dead letter, never for running it)."""
    return payload[SIGNED_PREFIX:] if payload[:1] == SIGNED_HEAD else payload


def keys_from_environment() -> list[bytes] | None:
    """DOCKET_SIGNING_KEYS, comma-separated (for the CLI); None when it is not set."""
    text = os.environ.get(SIGNING_KEYS_ENVVAR, "").strip()
    if not text:
        return None
    return [part.strip().encode() for part in text.split(",") if part.strip()]
