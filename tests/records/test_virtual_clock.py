"""VirtualClock: a test moves time by hand and every task due on the way runs (issue 11)."""

import itertools
import time
from datetime import timedelta

import docket as docket_package
import pytest
from docket import Cron, Docket, Perpetual, Retry, Worker
from docket.testing import VirtualClock


async def test_a_future_task_runs_when_the_clock_reaches_it(docket: Docket) -> None:
    ran: list[str] = []

    async def remind(who: str) -> None:
        ran.append(who)

    clock = docket_package.testing.VirtualClock(docket)
    async with Worker(docket).running():
        await docket.add(remind, when=clock.now() + timedelta(hours=1))("ada")
        await clock.advance(timedelta(minutes=59))
        assert ran == []
        await clock.advance(timedelta(minutes=1))
        assert ran == ["ada"]


async def test_a_week_of_hourly_perpetual_runs_takes_milliseconds(docket: Docket) -> None:
    seen: list[int] = []

    async def hourly(perpetual: Perpetual = Perpetual(every=timedelta(hours=1))) -> None:
        seen.append(docket.now_ms())

    clock = VirtualClock(docket)
    started = clock.now()
    async with Worker(docket).running():
        await docket.add(hourly, key="hourly")()
        begun = time.monotonic()
        await clock.advance(timedelta(days=7))
        took = time.monotonic() - begun
    assert len(seen) == 7 * 24 + 1  # the first run, then one an hour
    gaps = {b - a for a, b in itertools.pairwise(seen)}
    assert gaps == {3_600_000}
    assert clock.now() - started == timedelta(days=7)
    assert took < 20  # milliseconds a run on memory://; a round trip or two each on Redis


async def test_retries_and_the_tasks_they_schedule_run_in_due_order(docket: Docket) -> None:
    log: list[tuple[str, int]] = []
    clock = VirtualClock(docket)
    start = clock.now()

    def at() -> int:
        return int((clock.now() - start) / timedelta(minutes=1))

    async def flaky(retry: Retry = Retry(attempts=3, delay=timedelta(minutes=10))) -> None:
        log.append(("flaky", at()))
        raise RuntimeError("down")

    async def follow_up() -> None:
        log.append(("follow_up", at()))

    async def kick_off() -> None:
        log.append(("kick_off", at()))
        await docket.add(follow_up, when=clock.now() + timedelta(minutes=15))()

    async with Worker(docket).running():
        await docket.add(flaky)()
        await docket.add(kick_off, when=start + timedelta(minutes=5))()
        await clock.advance(timedelta(hours=1))
    assert log == [
        ("flaky", 0),
        ("kick_off", 5),
        ("flaky", 10),
        ("flaky", 20),
        ("follow_up", 20),
    ] or log == [("flaky", 0), ("kick_off", 5), ("flaky", 10), ("follow_up", 20), ("flaky", 20)]


async def test_cron_follows_the_virtual_clock(docket: Docket) -> None:
    runs: list[int] = []

    async def nightly(cron: Cron = Cron("0 3 * * *")) -> None:
        runs.append(docket.now_ms())

    clock = VirtualClock(docket)
    async with Worker(docket).running():
        await docket.add(nightly, key="nightly")()
        await clock.advance(timedelta(days=3))
    assert len(runs) >= 3


async def test_detach_gives_back_the_real_clock(docket: Docket) -> None:
    with VirtualClock(docket) as clock:
        await clock.advance(timedelta(days=1))
        assert docket.now_ms() - time.time() * 1000 > 80_000_000
    assert abs(docket.now_ms() - time.time() * 1000) < 5_000


async def test_the_clock_only_moves_forward(docket: Docket) -> None:
    clock = VirtualClock(docket)
    with pytest.raises(ValueError, match="only moves forward"):
        await clock.advance(timedelta(seconds=-1))
