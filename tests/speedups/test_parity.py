"""Example-based kernel tests; each runs on the pure-Python kernels and on the Cython twins."""

import time

import msgspec
import pytest
from docket import MessageDecodeError
from docket._kernels import ENVELOPE_VERSION, NO_ENVELOPE

from .kernel_api import Kernels

# The rest of an envelope around one field under test: key "k", function "f", when 0,
# attempt 1, token "t", no arguments.
HEAD = b"\x97\x01"
TAIL_AFTER_KEY = b"\xa1f\x00\x01\xa1t\xc4\x00"


def test_a_typical_envelope_has_the_documented_bytes(kernels: Kernels) -> None:
    data = kernels.encode_envelope("k", "f", 0, 1, "t", b"")

    assert data == HEAD + b"\xa1k" + TAIL_AFTER_KEY


@pytest.mark.parametrize(
    ("key", "header"),
    [
        ("", b"\xa0"),
        ("x" * 31, b"\xbf"),
        ("x" * 32, b"\xd9\x20"),
        ("é" * 16, b"\xd9\x20"),  # 16 characters but 32 UTF-8 bytes: lengths are in bytes
        ("x" * 255, b"\xd9\xff"),
        ("x" * 256, b"\xda\x01\x00"),
        ("🔑" * 64, b"\xda\x01\x00"),
        ("x" * 65535, b"\xda\xff\xff"),
        ("x" * 65536, b"\xdb\x00\x01\x00\x00"),
        ("ключ-" * 20000, b"\xdb\x00\x02\xbf\x20"),  # 180000 bytes
    ],
    ids=lambda value: f"{len(value.encode())}B" if isinstance(value, str) else None,
)
def test_keys_get_the_smallest_msgpack_string_header(
    kernels: Kernels, key: str, header: bytes
) -> None:
    data = kernels.encode_envelope(key, "f", 0, 1, "t", b"")

    assert data == HEAD + header + key.encode() + TAIL_AFTER_KEY
    assert kernels.decode_envelope(data) == (ENVELOPE_VERSION, key, "f", 0, 1, "t", b"")


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, b"\x00"),
        (1, b"\x01"),
        (127, b"\x7f"),
        (128, b"\xcc\x80"),
        (255, b"\xcc\xff"),
        (256, b"\xcd\x01\x00"),
        (65535, b"\xcd\xff\xff"),
        (65536, b"\xce\x00\x01\x00\x00"),
        (2**32 - 1, b"\xce\xff\xff\xff\xff"),
        (2**32, b"\xcf\x00\x00\x00\x01\x00\x00\x00\x00"),
        (2**32 + 1, b"\xcf\x00\x00\x00\x01\x00\x00\x00\x01"),
        (2**63 - 1, b"\xcf\x7f\xff\xff\xff\xff\xff\xff\xff"),
        (2**64 - 1, b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff"),
        (-1, b"\xff"),
        (-32, b"\xe0"),
        (-33, b"\xd0\xdf"),
        (-129, b"\xd1\xff\x7f"),
        (-(2**31), b"\xd2\x80\x00\x00\x00"),
        (-(2**63), b"\xd3\x80\x00\x00\x00\x00\x00\x00\x00"),
    ],
    ids=lambda value: str(value) if isinstance(value, int) else "msgpack",
)
def test_when_ms_gets_the_smallest_msgpack_integer(
    kernels: Kernels, value: int, encoded: bytes
) -> None:
    data = kernels.encode_envelope("k", "f", value, 1, "t", b"")

    assert data == HEAD + b"\xa1k\xa1f" + encoded + b"\x01\xa1t\xc4\x00"
    assert kernels.decode_envelope(data)[3] == value


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1, 10**30])
def test_integers_msgpack_cannot_hold_are_refused(kernels: Kernels, value: int) -> None:
    with pytest.raises(OverflowError):
        kernels.encode_envelope("k", "f", value, 1, "t", b"")
    with pytest.raises(OverflowError):
        kernels.encode_envelope("k", "f", 0, value, "t", b"")


@pytest.mark.parametrize(
    "envelope",
    [
        ("", "", 0, 1, "", b""),
        ("order-42", "send_invoice", 1_700_000_000_000, 1, "a1b2c3d4e5f60718", b"\x80\x05."),
        ("ключ/キー/🔑/e\u0301", "tâche_ünïcode", 5, 2, "t", b"\x00\xff" * 100),
        ("k", "f", 2**32 - 1, 1, "t", b""),
        ("k", "f", 2**32, 3, "t", b""),
        ("k", "f", 2**32 + 1, 127, "t", b""),
        ("k", "f", 1, 128, "t", b""),
        ("k", "f", 1, 10_000, "t", b""),
        ("k", "f", 1, 2**31 - 1, "t", b""),
        ("k", "f", 1, 2**63 - 1, "t", b""),
        ("k", "f", 1, 1, "t", b"x" * 255),
        ("k", "f", 1, 1, "t", b"x" * 256),
        ("k", "f", 1, 1, "t", b"x" * 65536),
        ("k", "f", 1, 1, "t", bytes(range(256)) * 4096),
        ("x" * 300, "f" * 70_000, 1, 1, "t" * 40, b"y" * 300),
    ],
    ids=lambda envelope: "-".join(str(len(str(part))) for part in envelope),
)
def test_envelopes_round_trip(
    kernels: Kernels, envelope: tuple[str, str, int, int, str, bytes]
) -> None:
    data = kernels.encode_envelope(*envelope)

    assert kernels.decode_envelope(data) == (ENVELOPE_VERSION, *envelope)
    assert data == msgspec.msgpack.encode((ENVELOPE_VERSION, *envelope))


def test_the_current_time_round_trips(kernels: Kernels) -> None:
    now_ms = time.time_ns() // 1_000_000
    data = kernels.encode_envelope("k", "f", now_ms, 1, "t", b"")

    assert data[6:7] == b"\xcf"  # epoch milliseconds no longer fit 32 bits
    assert kernels.decode_envelope(data)[3] == now_ms


def test_non_minimal_encodings_still_decode(kernels: Kernels) -> None:
    # str8/bin32 headers and a uint64 for small numbers: valid msgpack another encoder may write
    data = (
        b"\x97\x01\xd9\x01k\xdb\x00\x00\x00\x01f\xcf\x00\x00\x00\x00\x00\x00\x00\x05"
        b"\xcd\x00\x02\xda\x00\x01t\xc6\x00\x00\x00\x01z"
    )

    assert kernels.decode_envelope(data) == (ENVELOPE_VERSION, "k", "f", 5, 2, "t", b"z")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00",
        b"\xc1",
        b"hello, world",
        b'[1,"k","f",0,1,"t",""]',
        msgspec.msgpack.encode({"version": 1}),
        msgspec.msgpack.encode("k"),
        msgspec.msgpack.encode([]),
        msgspec.msgpack.encode([1, "k", "f", 0, 1, "t"]),
        msgspec.msgpack.encode([1, "k", "f", 0, 1, "t", b"", b""]),
        msgspec.msgpack.encode([1, 7, "f", 0, 1, "t", b""]),
        msgspec.msgpack.encode([1, "k", "f", 0.5, 1, "t", b""]),
        msgspec.msgpack.encode([1, "k", "f", True, 1, "t", b""]),
        msgspec.msgpack.encode([1, "k", "f", 0, 1, "t", "not bytes"]),
        msgspec.msgpack.encode([1, b"k", "f", 0, 1, "t", b""]),
        msgspec.msgpack.encode([1, "k", "f", 0, None, "t", b""]),
    ],
)
def test_garbage_is_refused_with_a_message_decode_error(kernels: Kernels, data: bytes) -> None:
    with pytest.raises(MessageDecodeError, match="not a docket envelope"):
        kernels.decode_envelope(data)


def test_every_truncation_is_refused(kernels: Kernels) -> None:
    data = kernels.encode_envelope("ключ" * 10, "f" * 300, 2**40, 300, "t", b"a" * 70_000)
    cuts = [*range(0, 700), *range(len(data) - 5, len(data))]

    for cut in cuts:
        with pytest.raises(MessageDecodeError):
            kernels.decode_envelope(data[:cut])


def test_trailing_bytes_are_refused(kernels: Kernels) -> None:
    data = kernels.encode_envelope("k", "f", 0, 1, "t", b"") + b"\x00"

    with pytest.raises(MessageDecodeError):
        kernels.decode_envelope(data)


@pytest.mark.parametrize(
    ("envelope", "version"),
    [
        ([2, "k", "f", 0, 1, "t", b""], 2),
        ([0, "k", "f", 0, 1, "t", b""], 0),
        ([-1, "k", "f", 0, 1, "t", b""], -1),
        ([300, "k", "f", 0, 1, "t", b""], 300),
        ([2, "k", "f", 0, 1, "t", b"", {"new": "field"}], 2),
        ([2, {"a future": "layout"}], 2),
    ],
)
def test_another_envelope_version_is_refused_by_name(
    kernels: Kernels, envelope: list[object], version: int
) -> None:
    with pytest.raises(MessageDecodeError, match=f"envelope version {version} is not 1: upgrade"):
        kernels.decode_envelope(msgspec.msgpack.encode(envelope))


def test_invalid_utf8_is_refused_with_a_message_decode_error(kernels: Kernels) -> None:
    data = b"\x97\x01\xa2\xed\xa0\xa1f\x00\x01\xa1t\xc4\x00"

    with pytest.raises(MessageDecodeError):
        kernels.decode_envelope(data)


def test_stream_replies_become_id_payload_pairs(kernels: Kernels) -> None:
    reply = [
        [b"1700000000000-0", [b"d", b"payload"]],
        [b"1700000000000-1", [b"other", b"ignored", b"d", b""]],
        [b"1700000000002-0", []],
        [b"1700000000003-0", None],
    ]

    assert kernels.parse_stream_reply(reply) == [
        (b"1700000000000-0", b"payload"),
        (b"1700000000000-1", b""),
        (b"1700000000002-0", None),
        (b"1700000000003-0", None),
    ]


@pytest.mark.parametrize(
    "fields",
    [[b"other", b"no payload"], (b"x", b"y"), [b"d"], [b"e", b"d"], ["d", b"a str field name"]],
    ids=["other field", "tuple", "d without value", "d as a value", "str d"],
)
def test_an_entry_with_fields_but_no_envelope_gets_the_no_envelope_payload(
    kernels: Kernels, fields: list[object]
) -> None:
    [(message_id, payload)] = kernels.parse_stream_reply([[b"1-0", fields]])

    assert message_id == b"1-0"
    assert payload == NO_ENVELOPE == b""
    assert payload is not None


def test_nil_entries_of_a_stream_reply_are_left_out(kernels: Kernels) -> None:
    # Redis 6.2's XAUTOCLAIM answers nil in place of an entry deleted while pending.
    reply = [None, [b"1-0", [b"d", b"x"]], None]

    assert kernels.parse_stream_reply(reply) == [(b"1-0", b"x")]


def test_an_empty_stream_reply_is_an_empty_list(kernels: Kernels) -> None:
    assert kernels.parse_stream_reply([]) == []


def test_stream_replies_may_be_any_iterable_of_pairs(kernels: Kernels) -> None:
    reply = ((message_id, (b"d", message_id)) for message_id in (b"1-0", b"2-0"))

    assert kernels.parse_stream_reply(reply) == [(b"1-0", b"1-0"), (b"2-0", b"2-0")]


def test_runs_are_counted_under_their_minute_and_task(kernels: Kernels) -> None:
    tallies: dict[int, dict[str, list[int]]] = {}
    kernels.fold_runs(
        [
            ("resize", "succeeded", 0.000_005, 0, 120_000),  # 5 µs, on time, minute 2
            ("resize", "failed", 0.001, 9, 179_999),  # 1000 µs, 9 ms late, minute 2
            ("charge", "cancelled", 3.0, -4, 180_000),  # minute 3; early counts as on time
        ],
        tallies,
    )
    assert sorted(tallies) == [2, 3]
    resize = tallies[2]["resize"]
    assert resize[:4] == [1, 1, 0, 0]
    durations, lateness = resize[4:164], resize[164:]
    assert {i: n for i, n in enumerate(durations) if n} == {5: 1, (7 << 2) + (1000 >> 7): 1}
    assert {i: n for i, n in enumerate(lateness) if n} == {0: 1, 8 + 0: 1}  # 9 ms: bucket 8
    assert tallies[3]["charge"][:4] == [0, 0, 0, 1]
    assert tallies[3]["charge"][164] == 1


def test_folding_adds_to_the_tallies_already_there(kernels: Kernels) -> None:
    tallies: dict[int, dict[str, list[int]]] = {}
    for _ in range(3):
        kernels.fold_runs([("job", "retried", 0.5, 10**15, 60_000)], tallies)
    tally = tallies[1]["job"]
    assert tally[2] == 3
    assert tally[4 + 159 + 160] == 3  # far beyond the last bucket's start: the last bucket


def test_an_unknown_outcome_is_refused(kernels: Kernels) -> None:
    with pytest.raises(KeyError):
        kernels.fold_runs([("job", "exploded", 0.1, 0, 0)], {})
