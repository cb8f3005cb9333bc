"""Signed messages on Redis and memory://: what the key holders send runs (retries, perpetual
runs, parked, held and requeued messages included), keys rotate, and an unsigned, forged or
cut-short message is dead-lettered with the reason before anything of it is unpickled: a
planted pickle that would create a file never does."""

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from docket import Docket, Perpetual, Retry, Worker
from docket._signing import Signer

from .planted import CreatesAFile

CURRENT = b"current-signing-key-0123456789"
PREVIOUS = b"previous-signing-key-987654321"
STRANGER = b"a-key-nobody-here-knows-000000"


@pytest.fixture
def name() -> str:
    return f"signed-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def signed(docket_url: str, name: str) -> AsyncIterator[Docket]:
    async with Docket(name, docket_url, signing_keys=[CURRENT, PREVIOUS]) as docket:
        yield docket


async def record(n: int) -> None:
    """Registered on the workers; the tests read what ran from their records."""


async def letters(docket: Docket) -> dict[str, str]:
    return {letter.key: letter.reason for letter in await docket.dead_letters()}


async def test_signed_work_runs_through_retries_perpetual_runs_and_parking(
    signed: Docket,
) -> None:
    ran: list[str] = []
    attempts = 0

    async def flaky(retry: Retry = Retry(attempts=3)) -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise ValueError("not yet")
        ran.append("flaky")

    async def chain(perpetual: Perpetual = Perpetual(every=timedelta(milliseconds=10))) -> None:
        ran.append("chain")
        if ran.count("chain") == 3:
            perpetual.cancel()

    async def later(n: int) -> None:
        ran.append(f"later {n}")

    for task in (flaky, chain, later):
        signed.register(task)
    await signed.add(flaky)()
    await signed.add(chain, key="chain")()
    await signed.add(later, when=datetime.now(UTC) + timedelta(milliseconds=50))(1)

    async with Worker(signed) as worker:
        await worker.run_until_finished()

    assert sorted(ran) == ["chain", "chain", "chain", "flaky", "later 1"]
    assert await letters(signed) == {}


async def test_keys_rotate_without_downtime(docket_url: str, name: str) -> None:
    ran: list[str] = []

    async def noted(who: str) -> None:
        ran.append(who)

    async with (
        Docket(name, docket_url, signing_keys=[PREVIOUS]) as old_producer,
        Docket(name, docket_url, signing_keys=[CURRENT, PREVIOUS]) as new_producer,
        Docket(name, docket_url, signing_keys=[PREVIOUS, CURRENT]) as worker_docket,
    ):
        worker_docket.register(noted)
        await old_producer.add(noted)("old")  # signed with PREVIOUS
        await new_producer.add(noted)("new")  # signed with CURRENT
        async with Worker(worker_docket) as worker:
            await worker.run_until_finished()

    assert sorted(ran) == ["new", "old"]


async def test_unsigned_forged_and_cut_short_messages_are_dead_lettered_unopened(
    signed: Docket, docket_url: str, name: str, tmp_path: Path
) -> None:
    planted = tmp_path / "planted"
    signed.register(record)
    async with (
        Docket(name, docket_url) as unsigned_producer,
        Docket(name, docket_url, signing_keys=[STRANGER]) as forger,
    ):
        await unsigned_producer.add("record", key="unsigned")(CreatesAFile(str(planted)))
        await forger.add("record", key="forged")(CreatesAFile(str(planted)))
        genuine = signed.backend.scripts.signer
        assert genuine is not None
        envelope = _envelope_of(unsigned_producer, "cut", CreatesAFile(str(planted)))
        for key, payload in (
            ("cut", genuine.sign(envelope)[:-7]),
            ("stub", genuine.sign(envelope)[:20]),
        ):
            await _plant(unsigned_producer, key, payload)

        async with Worker(signed) as worker:
            await worker.run_until_finished()

    reasons = await letters(signed)
    cut_short = [letter.reason for letter in await signed.dead_letters() if not letter.key]
    assert not planted.exists()  # nothing was unpickled
    assert reasons["unsigned"].startswith("unsigned message, and this worker has signing keys")
    assert reasons["forged"].startswith("bad signature")
    assert sorted(reason.split(":")[0] for reason in cut_short) == [
        "a signed message cut short (no envelope after the MAC)",
        "bad signature",
    ]  # their keys do not decode either


async def test_a_worker_without_keys_says_what_to_configure(
    signed: Docket, docket_url: str, name: str
) -> None:
    await signed.add("record", key="signed")(1)

    async with Docket(name, docket_url) as keyless:
        keyless.register(record)
        async with Worker(keyless) as worker:
            await worker.run_until_finished()
        reasons = await letters(keyless)

    assert reasons["signed"].startswith("signed message, and this worker has no signing keys")
    assert "DOCKET_SIGNING_KEYS" in reasons["signed"]


async def test_held_and_requeued_messages_stay_valid(signed: Docket) -> None:
    ran: list[int] = []

    async def held(n: int) -> None:
        ran.append(n)

    await signed.add("held", key="unknown-at-first")(1)
    async with Worker(signed, unknown_task_grace=timedelta(0)) as worker:
        await worker.run_until_finished()  # no worker knows it yet: a dead letter
    assert "unknown-at-first" in await letters(signed)

    signed.register(held)
    assert await signed.requeue_dead_letters() == 1
    await signed.add(held, key="struck")(2)
    await signed.strike(held, "n", "==", 2)
    async with Worker(signed) as worker:
        await worker.run_until_finished()  # runs 1; holds 2 until the restore
        assert ran == [1]
        assert await signed.restore(held, "n", "==", 2) == 1
        await worker.run_until_finished()

    assert sorted(ran) == [1, 2]
    assert await letters(signed) == {}


def test_signing_keys_are_checked_where_they_are_given() -> None:
    with pytest.raises(ValueError, match="non-empty list"):
        Docket("x", "memory://x", signing_keys=[])
    with pytest.raises(ValueError, match="shorter than 16 bytes"):
        Docket("x", "memory://x", signing_keys=[b"short"])


def _envelope_of(docket: Docket, key: str, argument: object) -> bytes:
    from docket._calls import call_builder

    return call_builder(docket, "record", None, key)(argument).payload


async def _plant(docket: Docket, key: str, payload: bytes) -> None:
    """Put `payload` on the stream as it is, as one who can write to the docket's keys can."""
    token = os.urandom(8).hex()
    await docket.backend.scripts.schedule(
        (key, token, docket.now_ms(), payload, True, False), replace=False
    )


@pytest.mark.parametrize("key_length", [16, 32, 64, 65, 200])
def test_the_signature_is_hmac_sha256_of_the_whole_envelope(key_length: int) -> None:
    """So any HMAC-SHA256 implementation can check a docket message."""
    import hmac

    key, envelope = os.urandom(key_length), os.urandom(300)
    signed = Signer([key]).sign(envelope)

    assert signed == b"\xc1" + hmac.digest(key, envelope, "sha256") + envelope
