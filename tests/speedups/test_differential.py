"""Differential tests (hypothesis): the Cython twins and the pure kernels agree byte for byte.

A client without speedups must talk to a worker with them and the other way round, so each
implementation must decode what the other wrote, and both must fail the same way on bad input.
"""

from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from docket._kernels import ENVELOPE_VERSION
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from .kernel_api import PURE, Kernels

pytestmark = pytest.mark.speedups

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Outcome = tuple[str, object]


def outcome(call: Callable[[], object]) -> Outcome:
    """What a call returned, or the type and message of what it raised."""
    try:
        return "returned", call()
    except Exception as error:
        return "raised", (type(error), str(error))


# Integers near every msgpack size boundary, and anywhere in (and a little beyond) 64 bits.
BOUNDARIES = [
    sign * 2**bits + delta
    for bits in (5, 7, 8, 15, 16, 31, 32, 63, 64)
    for sign in (1, -1)
    for delta in (-1, 0, 1)
]
integers = st.one_of(
    st.sampled_from(BOUNDARIES),
    st.integers(min_value=-(2**64), max_value=2**65),
    st.integers(min_value=1_600_000_000_000, max_value=2_100_000_000_000),
)
# Short text of any characters UTF-8 can hold, or long runs of one character (1 to 4 bytes)
# crossing the 31 / 255 / 65535-byte header boundaries.
long_text = st.builds(
    lambda character, count: character * count,
    st.characters(codec="utf-8"),
    st.sampled_from([8, 31, 32, 64, 65, 85, 128, 255, 256, 16383, 16384, 21845, 65535, 65536]),
)
texts = st.one_of(st.text(st.characters(codec="utf-8"), max_size=40), long_text)
long_binary = st.builds(
    lambda byte, count: byte * count,
    st.binary(min_size=1, max_size=1),
    st.sampled_from([255, 256, 65535, 65536]),
)
binaries = st.one_of(st.binary(max_size=300), long_binary)
envelopes = st.tuples(texts, texts, integers, integers, texts, binaries)


@SETTINGS
@given(envelopes)
@example(("", "", 0, 1, "", b""))
@example(("k", "f", 2**63, 1, "t", b""))
@example(("k", "f", 2**64 - 1, 2**64, "t", b""))
def test_both_encode_the_same_bytes_and_decode_each_other(
    compiled_kernels: Kernels, envelope: tuple[str, str, int, int, str, bytes]
) -> None:
    pure = outcome(lambda: PURE.encode_envelope(*envelope))
    compiled = outcome(lambda: compiled_kernels.encode_envelope(*envelope))

    assert compiled == pure
    if pure[0] == "returned":
        written_by_pure, written_by_compiled = pure[1], compiled[1]
        assert isinstance(written_by_pure, bytes)
        assert isinstance(written_by_compiled, bytes)
        expected = (ENVELOPE_VERSION, *envelope)
        # a client without speedups talking to a worker with them, and the other way round
        assert compiled_kernels.decode_envelope(written_by_pure) == expected
        assert PURE.decode_envelope(written_by_compiled) == expected


# Inputs outside the declared types (bool is an int, str and bytes subclasses, None, floats,
# bytearray) must behave exactly like the pure kernel too: raise the same error, or encode the
# same bytes.
class Text(str):
    pass


class Binary(bytes):
    pass


odd_values: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.text(max_size=5).map(Text),
    st.binary(max_size=5).map(Binary),
    st.binary(max_size=5).map(bytearray),
    st.binary(max_size=5).map(lambda data: memoryview(data)),
    st.text(max_size=5).map(lambda text: text + "\ud800"),  # a lone surrogate: not UTF-8
)


@SETTINGS
@given(envelopes, st.integers(min_value=0, max_value=5), odd_values)
def test_both_handle_values_of_unexpected_types_alike(
    compiled_kernels: Kernels,
    envelope: tuple[str, str, int, int, str, bytes],
    position: int,
    odd: Any,
) -> None:
    arguments: list[Any] = list(envelope)
    arguments[position] = odd

    pure = outcome(lambda: PURE.encode_envelope(*arguments))
    compiled = outcome(lambda: compiled_kernels.encode_envelope(*arguments))

    assert compiled == pure


def mutate(data: bytes, position: int, change: int, action: str) -> bytes:
    """Truncate, overwrite, insert or append at `position` (modulo the length)."""
    position %= len(data) + 1
    if action == "truncate":
        return data[:position]
    if action == "append":
        return data + bytes([change])
    if action == "insert":
        return data[:position] + bytes([change]) + data[position:]
    if position == len(data):
        return data
    return data[:position] + bytes([change]) + data[position + 1 :]


@SETTINGS
@given(
    envelopes,
    st.integers(min_value=0, max_value=2**20),
    st.integers(min_value=0, max_value=255),
    st.sampled_from(["truncate", "overwrite", "insert", "append"]),
)
def test_both_refuse_damaged_envelopes_alike(
    compiled_kernels: Kernels,
    envelope: tuple[str, str, int, int, str, bytes],
    position: int,
    change: int,
    action: str,
) -> None:
    try:
        valid = PURE.encode_envelope(*envelope)
    except OverflowError:
        valid = PURE.encode_envelope(envelope[0], envelope[1], 0, 1, envelope[4], envelope[5])
    data = mutate(valid, position, change, action)

    assert outcome(lambda: compiled_kernels.decode_envelope(data)) == outcome(
        lambda: PURE.decode_envelope(data)
    )


# msgpack values of any type, to build arrays that look more or less like an envelope.
msgpack_values: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        integers.filter(lambda value: -(2**63) <= value < 2**64),
        st.floats(),
        st.text(max_size=10),
        st.binary(max_size=10),
    ),
    lambda children: st.lists(children, max_size=3),
    max_leaves=5,
)
field_strategies = [
    st.one_of(st.integers(min_value=-2, max_value=3), msgpack_values),
    st.one_of(texts, msgpack_values),
    st.one_of(texts, msgpack_values),
    st.one_of(integers.filter(lambda value: -(2**63) <= value < 2**64), msgpack_values),
    st.one_of(integers.filter(lambda value: -(2**63) <= value < 2**64), msgpack_values),
    st.one_of(texts, msgpack_values),
    st.one_of(binaries, msgpack_values),
]


@SETTINGS
@given(
    st.tuples(*field_strategies),
    st.integers(min_value=5, max_value=9),
)
def test_both_decode_envelope_like_arrays_alike(
    compiled_kernels: Kernels, fields: tuple[Any, ...], length: int
) -> None:
    data = msgspec.msgpack.encode(list(fields[:length]) + [None] * (length - len(fields)))

    assert outcome(lambda: compiled_kernels.decode_envelope(data)) == outcome(
        lambda: PURE.decode_envelope(data)
    )


@SETTINGS
@given(st.binary(max_size=200))
@example(b"\x97\x01\xa2\xed\xa0\xa1f\x00\x01\xa1t\xc4\x00")  # invalid UTF-8 in the key
def test_both_decode_arbitrary_bytes_alike(compiled_kernels: Kernels, data: bytes) -> None:
    assert outcome(lambda: compiled_kernels.decode_envelope(data)) == outcome(
        lambda: PURE.decode_envelope(data)
    )


@SETTINGS
@given(st.one_of(st.none(), st.text(max_size=5), st.binary(max_size=20).map(bytearray)))
def test_both_handle_decode_input_of_unexpected_types_alike(
    compiled_kernels: Kernels, data: Any
) -> None:
    assert outcome(lambda: compiled_kernels.decode_envelope(data)) == outcome(
        lambda: PURE.decode_envelope(data)
    )


fields_of_entries = st.one_of(
    st.none(),
    st.lists(
        st.one_of(st.sampled_from([b"d", b"e", b"data", "d"]), st.binary(max_size=10)), max_size=7
    ),
)


entries = st.one_of(st.none(), st.tuples(st.binary(min_size=1, max_size=20), fields_of_entries))


@SETTINGS
@given(st.lists(entries, max_size=20))
def test_both_parse_stream_replies_alike(
    compiled_kernels: Kernels, reply: list[tuple[bytes, list[Any] | None] | None]
) -> None:
    assert compiled_kernels.parse_stream_reply(reply) == PURE.parse_stream_reply(reply)


runs = st.tuples(
    st.sampled_from(["a", "b", "é"]),
    st.sampled_from(["succeeded", "failed", "retried", "cancelled"]),
    st.one_of(st.floats(min_value=0, max_value=1e9), st.integers(0, 10**6)),
    st.integers(-(2**70), 2**70),
    st.one_of(st.integers(0, 2**63), st.just(-1)),
)


@SETTINGS
@given(st.lists(runs, max_size=30))
def test_both_fold_runs_alike(compiled_kernels: Kernels, folded: list[Any]) -> None:
    compiled: dict[int, dict[str, list[int]]] = {}
    pure: dict[int, dict[str, list[int]]] = {}
    compiled_kernels.fold_runs(folded, compiled)
    PURE.fold_runs(folded, pure)
    assert compiled == pure
