"""Micro-benchmarks of the hot kernels on both implementations (python | cython), in ns/op."""

import os
import time
import uuid

import cloudpickle
import pytest

from tests.speedups.kernel_api import PURE, Kernels, load_compiled

from ._support import Benchmark, report

ENVELOPE = (
    uuid.uuid4().hex,
    "send_welcome_email",
    time.time_ns() // 1_000_000,
    1,
    os.urandom(8).hex(),
    bytes(cloudpickle.dumps(((12345, "Jane Smith"), {"locale": "en-GB"}))),
)
PAYLOAD = PURE.encode_envelope(*ENVELOPE)
REPLY_SIZE = 10
REPLY = [[f"1764000000000-{n}".encode(), [b"d", PAYLOAD]] for n in range(REPLY_SIZE)]


@pytest.fixture(params=["python", pytest.param("cython", marks=pytest.mark.speedups)])
def kernels(request: pytest.FixtureRequest) -> Kernels:
    return load_compiled() if request.param == "cython" else PURE


def report_nanoseconds(benchmark: Benchmark, label: str, calls_per_run: int = 1) -> None:
    if not benchmark.disabled:  # --benchmark-disable measures nothing
        report(benchmark, label, benchmark.stats.stats.median * 1e9 / calls_per_run, "ns/op")


# Sub-microsecond calls: time loops of ITERATIONS calls so the timer's own cost does not count.
ROUNDS = 100
ITERATIONS = 2000


def test_encode_envelope(benchmark: Benchmark, kernels: Kernels) -> None:
    data = benchmark.pedantic(
        kernels.encode_envelope, ENVELOPE, rounds=ROUNDS, iterations=ITERATIONS
    )

    assert data == PAYLOAD
    report_nanoseconds(benchmark, "encode_envelope")


def test_decode_envelope(benchmark: Benchmark, kernels: Kernels) -> None:
    envelope = benchmark.pedantic(
        kernels.decode_envelope, (PAYLOAD,), rounds=ROUNDS, iterations=ITERATIONS
    )

    assert envelope[1:] == ENVELOPE
    report_nanoseconds(benchmark, "decode_envelope")


def test_parse_stream_reply(benchmark: Benchmark, kernels: Kernels) -> None:
    parsed = benchmark.pedantic(
        kernels.parse_stream_reply, (REPLY,), rounds=ROUNDS, iterations=ITERATIONS // REPLY_SIZE
    )

    assert len(parsed) == REPLY_SIZE
    report_nanoseconds(benchmark, "parse_stream_reply, per entry", REPLY_SIZE)
