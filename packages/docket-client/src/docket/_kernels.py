"""Pure-Python reference kernels of the hot path: no I/O, bytes and ints in and out.

``docket_speedups._kernels`` holds Cython twins with the same names, signatures and output
bytes. Bump ``KERNEL_ABI`` whenever a signature or an output changes.
"""

from typing import Any

import msgspec

from ._errors import MessageDecodeError

KERNEL_ABI = 4
ENVELOPE_VERSION = 1

NO_ENVELOPE = b""
"""The payload `parse_stream_reply` gives an entry that has fields but no ``d``."""

# (version, key, function, when_ms, attempt, token, arguments)
Envelope = tuple[int, str, str, int, int, str, bytes]
TracedEnvelope = tuple[int, str, str, int, int, str, bytes, dict[str, str]]
"""An envelope with an eighth field: the W3C trace context (traceparent, tracestate) of the
span that added it. Only written while tracing is on; without it, not one byte is added."""
PLAIN_HEAD = 0x97  # a msgpack fixarray of 7
TRACED_HEAD = b"\x98"  # a msgpack fixarray of 8

_encoder = msgspec.msgpack.Encoder()
_decoder: msgspec.msgpack.Decoder[Envelope] = msgspec.msgpack.Decoder(Envelope)
_traced_decoder: msgspec.msgpack.Decoder[TracedEnvelope] = msgspec.msgpack.Decoder(TracedEnvelope)
_any_decoder = msgspec.msgpack.Decoder()


def encode_envelope(
    key: str, function: str, when_ms: int, attempt: int, token: str, arguments: bytes
) -> bytes:
    """Encode one message as a msgpack array."""
    return _encoder.encode((ENVELOPE_VERSION, key, function, when_ms, attempt, token, arguments))


def decode_envelope(data: bytes) -> Envelope:
    """Decode a message written by `encode_envelope`, refusing other versions."""
    try:
        envelope = _decoder.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        if data[:1] != TRACED_HEAD:
            raise MessageDecodeError(_describe_undecodable(data, error)) from None
        try:  # a traced envelope: its trace context is read apart (trace_context)
            envelope = _traced_decoder.decode(data)[:7]
        except (msgspec.DecodeError, UnicodeDecodeError) as traced_error:
            raise MessageDecodeError(_describe_undecodable(data, traced_error)) from None
    if envelope[0] != ENVELOPE_VERSION:
        raise MessageDecodeError(
            f"message envelope version {envelope[0]} is not {ENVELOPE_VERSION}: "
            "upgrade the worker to the docket version of the client that sent it."
        )
    return envelope


def add_trace_context(envelope: bytes, carrier: dict[str, str]) -> bytes:
    """`envelope` (as `encode_envelope` wrote it) with the trace context `carrier` appended.

    Pure Python only, with no compiled twin: it runs only while tracing is on.
    """
    if envelope[0] != PLAIN_HEAD:
        raise ValueError("add_trace_context takes an envelope encode_envelope wrote")
    return TRACED_HEAD + envelope[1:] + _encoder.encode(carrier)


def trace_context(data: bytes) -> dict[str, str] | None:
    """The trace context a traced envelope carries; None for a plain or damaged one."""
    if data[:1] != TRACED_HEAD:
        return None
    try:
        return _traced_decoder.decode(data)[7]
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None


def _describe_undecodable(data: bytes, error: Exception) -> str:
    try:
        raw: Any = _any_decoder.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError):
        raw = None
    if isinstance(raw, list) and raw and isinstance(raw[0], int) and raw[0] != ENVELOPE_VERSION:
        return (
            f"message envelope version {raw[0]} is not {ENVELOPE_VERSION}: upgrade the worker "
            "to the docket version of the client that sent it."
        )
    return f"message is not a docket envelope ({error}); it was not written by docket's client."


def parse_stream_reply(entries: Any) -> list[tuple[bytes, bytes | None]]:
    """Turn the raw entries of an XREADGROUP or XAUTOCLAIM reply into (message id, payload).

    Each entry is ``[id, [field, value, ...]]`` as Redis sends it; the payload is the value of
    field ``d``. An entry without fields (deleted while pending) has payload None; one with
    fields but no ``d`` (not written by docket) has `NO_ENVELOPE`. A nil entry (Redis 6.2's
    XAUTOCLAIM of a deleted entry, id unknown) is left out.
    """
    parsed: list[tuple[bytes, bytes | None]] = []
    for entry in entries:
        if entry is None:
            continue
        message_id, fields = entry
        payload = None
        if fields:
            payload = NO_ENVELOPE
            for i in range(0, len(fields) - 1, 2):
                if fields[i] == b"d":
                    payload = fields[i + 1]
                    break
        parsed.append((message_id, payload))
    return parsed


RUN_OUTCOMES = ("succeeded", "failed", "retried", "cancelled")
RUN_BUCKETS = 160
"""A tally of `fold_runs` is a list of RUN_SIZE counts: one per outcome (RUN_OUTCOMES order),
RUN_BUCKETS of durations (µs), RUN_BUCKETS of lateness (ms); see docket._task_stats.bucket."""
RUN_SIZE = len(RUN_OUTCOMES) + 2 * RUN_BUCKETS
RUN_MINUTE_MS = 60_000
_RUN_OUTCOME = {outcome: index for index, outcome in enumerate(RUN_OUTCOMES)}

Run = tuple[str, str, float, int, int]
"""A finished run: task name, outcome, seconds it took, ms it started late, when it started
(epoch ms)."""
Tallies = dict[int, dict[str, list[int]]]
"""epoch minute -> task name -> its tally (see RUN_SIZE)."""


def run_bucket(n: int) -> int:
    """The histogram bucket of `n`: n itself below 8 (0 below 0), then four per power of two."""
    if n < 8:
        return n if n > 0 else 0
    shift = n.bit_length() - 3
    index = (shift << 2) + (n >> shift)
    return index if index < RUN_BUCKETS else RUN_BUCKETS - 1


def fold_runs(runs: list[Run], tallies: Tallies) -> None:
    """Count each of `runs` in `tallies`, under the minute it started and its task's name:
    its outcome, and its duration's and its lateness's buckets."""
    durations, lateness = len(RUN_OUTCOMES), len(RUN_OUTCOMES) + RUN_BUCKETS
    for name, outcome, seconds, late_ms, at_ms in runs:
        tasks = tallies.setdefault(at_ms // RUN_MINUTE_MS, {})
        tally = tasks.get(name)
        if tally is None:
            tally = tasks[name] = [0] * RUN_SIZE
        tally[_RUN_OUTCOME[outcome]] += 1
        tally[durations + run_bucket(int(seconds * 1_000_000))] += 1
        tally[lateness + run_bucket(late_ms)] += 1
