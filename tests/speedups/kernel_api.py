"""The kernel surface both implementations share, and how the tests load each of them."""

import importlib
import os
from typing import Any, Protocol, cast

import pytest
from docket import _kernels
from docket._kernels import Envelope, Run, Tallies


class Kernels(Protocol):
    """What `docket._kernels` and `docket_speedups._kernels` both provide."""

    KERNEL_ABI: int

    def encode_envelope(
        self, key: str, function: str, when_ms: int, attempt: int, token: str, arguments: bytes
    ) -> bytes: ...

    def decode_envelope(self, data: bytes) -> Envelope: ...

    def parse_stream_reply(self, entries: Any) -> list[tuple[bytes, bytes | None]]: ...

    def fold_runs(self, runs: list[Run], tallies: Tallies) -> None: ...


PURE: Kernels = _kernels


def load_compiled() -> Kernels:
    """The compiled kernels; fail if they are missing, or skip when DOCKET_NO_EXTENSIONS is set."""
    try:
        module = importlib.import_module("docket_speedups._kernels")
    except ImportError as error:
        if os.environ.get("DOCKET_NO_EXTENSIONS"):
            pytest.skip(
                f"docket-speedups is not importable ({error}) and DOCKET_NO_EXTENSIONS is set"
            )
        pytest.fail(
            f"docket-speedups cannot be imported ({error}): run `uv sync` to build it, "
            "or set DOCKET_NO_EXTENSIONS=1 to skip the compiled kernels."
        )
    return cast(Kernels, module)
