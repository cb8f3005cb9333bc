"""Cron: runs on a cron schedule, each slot once across every worker."""

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from docket import Cron, CurrentExecution, Docket, Execution, Worker
from docket._time import datetime_to_ms

from ..helpers import wait_until

WorkerFactory = Callable[..., Awaitable[Worker]]
NEW_YORK = ZoneInfo("America/New_York")


def ms(year: int, month: int, day: int, *time: int, tz: ZoneInfo | None = None) -> int:
    hour, minute, second = (*time, 0, 0, 0)[:3]
    return datetime_to_ms(datetime(year, month, day, hour, minute, second, tzinfo=tz or UTC))


def test_standard_expressions_and_nicknames_name_their_next_slot() -> None:
    noon = ms(2026, 12, 2, 12, 0, 30)
    assert Cron("*/15 * * * *").slot_after(noon) == ms(2026, 12, 2, 12, 15)
    assert Cron("@hourly").slot_after(noon) == ms(2026, 12, 2, 13, 0)
    assert Cron("@daily").slot_after(noon) == Cron("@midnight").slot_after(noon)
    assert Cron("@daily").slot_after(noon) == ms(2026, 12, 3)
    assert Cron("@weekly").slot_after(noon) == ms(2026, 12, 6)  # a Sunday
    assert Cron("@monthly").slot_after(noon) == ms(2027, 1, 1)
    assert Cron("@yearly").slot_after(noon) == Cron("@annually").slot_after(noon)
    assert Cron("@yearly").slot_after(noon) == ms(2027, 1, 1)


def test_a_bad_expression_or_misfire_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="not a cron expression"):
        Cron("61 * * * *")
    with pytest.raises(ValueError, match="skip, run_once"):
        Cron("* * * * *", misfire="twice")  # type: ignore[arg-type]


def test_spring_forward_runs_a_missing_local_time_when_the_clocks_have_moved_on() -> None:
    # 2:30 does not exist in New York on 2026-03-08: the cron library runs it at 3:00 EDT.
    cron = Cron("30 2 * * *", tz=NEW_YORK)
    after = cron.slot_after(ms(2026, 3, 7, 3, 0, tz=NEW_YORK))
    assert after == ms(2026, 3, 8, 7, 0)  # 03:00 EDT
    assert cron.slot_after(after) == ms(2026, 3, 9, 6, 30)  # back to 02:30, now EDT


def test_fall_back_runs_a_repeated_local_time_in_both_of_its_instants() -> None:
    # 1:30 happens twice in New York on 2026-11-01: once in EDT, once in EST.
    cron = Cron("30 1 * * *", tz=NEW_YORK)
    first = cron.slot_after(ms(2026, 10, 31, 3, 0, tz=NEW_YORK))
    second = cron.slot_after(first)
    assert (first, second) == (ms(2026, 11, 1, 5, 30), ms(2026, 11, 1, 6, 30))
    assert cron.slot_after(second) == ms(2026, 11, 2, 6, 30)


def test_the_next_slot_follows_the_slot_just_run_not_the_clock() -> None:
    cron = Cron("* * * * *").for_run()
    slot = ms(2026, 12, 2, 12, 0)
    # A worker whose clock runs a second ahead still picks the very next slot.
    assert cron.next_run_ms(slot, slot, slot + 60_900) == slot + 60_000
    assert cron.next_run_ms(slot, slot, slot + 1_000) == slot + 60_000


def test_missed_slots_are_skipped_by_default_and_made_up_once_with_run_once() -> None:
    slot = ms(2026, 12, 2, 12, 0)
    now = slot + 10 * 60_000 + 5_000  # ten minutes of slots passed with no worker
    assert Cron("* * * * *").for_run().next_run_ms(slot, slot, now) == slot + 11 * 60_000
    assert Cron("* * * * *", misfire="run_once").for_run().next_run_ms(slot, slot, now) == now


async def test_each_slot_fires_once_across_three_workers_and_a_restart(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    slots: list[int] = []

    async def every_second(
        execution: Execution = CurrentExecution(), cron: Cron = Cron("* * * * * *")
    ) -> None:
        slots.append(execution.when_ms)

    docket.register(every_second)
    workers = [await make_worker(redelivery_timeout=timedelta(seconds=1)) for _ in range(3)]
    running = [asyncio.create_task(worker.run_forever()) for worker in workers]
    await wait_until(lambda: len(slots) >= 2, within=5, what="two slots")
    workers[0].stop()  # a restart: one worker goes, a new one comes
    await running.pop(0)
    newcomer = await make_worker(redelivery_timeout=timedelta(seconds=1))
    running.append(asyncio.create_task(newcomer.run_forever()))
    await wait_until(lambda: len(slots) >= 4, within=5, what="two more slots")
    for worker in [*workers[1:], newcomer]:
        worker.stop()
    await asyncio.gather(*running)

    assert len(set(slots)) == len(slots)  # no slot twice
    assert all(slot % 1000 == 0 for slot in slots)
    assert [b - a for a, b in itertools.pairwise(slots)] == [1000] * (len(slots) - 1)


async def test_a_cron_task_that_is_not_automatic_waits_to_be_added(
    docket: Docket, worker: Worker
) -> None:
    slots: list[int] = []

    async def nightly(
        execution: Execution = CurrentExecution(),
        cron: Cron = Cron("* * * * * *", automatic=False),
    ) -> None:
        slots.append(execution.when_ms)
        cron.cancel()

    docket.register(nightly)
    await asyncio.wait_for(worker.run_until_finished(), timeout=5)
    assert slots == []

    await docket.add(nightly, key="nightly")()
    await asyncio.wait_for(worker.run_until_finished(), timeout=5)
    assert len(slots) == 1
