from typing import Any

KERNEL_ABI: int

def encode_envelope(
    key: str, function: str, when_ms: int, attempt: int, token: str, arguments: bytes
) -> bytes: ...
def decode_envelope(data: bytes) -> tuple[int, str, str, int, int, str, bytes]: ...
def parse_stream_reply(entries: Any) -> list[tuple[bytes, bytes | None]]: ...

RUN_OUTCOMES: tuple[str, str, str, str]
RUN_BUCKETS: int
RUN_SIZE: int
RUN_MINUTE_MS: int

def fold_runs(
    runs: list[tuple[str, str, float, int, int]], tallies: dict[int, dict[str, list[int]]]
) -> None: ...
