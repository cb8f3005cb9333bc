"""Executions already pending when a strike arrives are held by the worker that takes them:
not run, not lost, still pending under their key; a restore runs them."""

import asyncio
import logging
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from docket import Disposition, Docket, ExecutionState, Worker

from ..conftest import WorkerFactory
from ..helpers import wait_until
from .conftest import OpenPeer

runs: Counter[str] = Counter()


async def charge(customer_id: int, amount: int = 0) -> None:
    runs[f"charge:{customer_id}"] += 1


async def report(customer_id: int) -> None:
    runs[f"report:{customer_id}"] += 1


@pytest.fixture(autouse=True)
def count_runs() -> None:
    runs.clear()


async def state(docket: Docket, key: str) -> ExecutionState | None:
    execution = await docket.get_execution(key)
    return None if execution is None else execution.state


async def test_a_strike_holds_queued_work_and_a_restore_runs_it(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    for customer in range(6):
        await docket.add(charge, key=f"c{customer}")(customer)
    await docket.add(report, key="r")(1)
    await docket.strike(charge, "customer_id", ">=", 3)

    with caplog.at_level(logging.INFO, logger="docket.worker"):
        await worker.run_until_finished()

    assert runs == Counter({"charge:0": 1, "charge:1": 1, "charge:2": 1, "report:1": 1})
    held = [r.getMessage() for r in caplog.records if r.getMessage().startswith("held ")]
    assert sorted(line.split()[2] for line in held) == ["key=c3:", "key=c4:", "key=c5:"]
    assert "struck (charge where customer_id >= 3)" in held[0]
    # Still pending under their keys: an add of the same key does nothing.
    assert await state(docket, "c4") is ExecutionState.SCHEDULED
    again = await docket.add(charge, key="c4")(0)
    assert again.disposition is Disposition.ALREADY_SCHEDULED

    assert await docket.restore(charge, "customer_id", ">=", 3) == 3
    await worker.run_until_finished()

    assert runs == Counter({f"charge:{c}": 1 for c in range(6)} | {"report:1": 1})
    assert await docket.backend.client.zcard(docket.keys.held) == 0


async def test_a_restore_of_one_strike_holds_again_what_another_still_strikes(
    docket: Docket, worker: Worker
) -> None:
    for customer in range(4):
        await docket.add(charge)(customer)
    await docket.strike(None, "customer_id", "==", 1)
    await docket.strike(charge, "customer_id", "<=", 1)
    await worker.run_until_finished()
    assert sum(runs.values()) == 2

    assert await docket.restore(charge, "customer_id", "<=", 1) == 2
    await worker.run_until_finished()

    assert runs == Counter({"charge:0": 1, "charge:2": 1, "charge:3": 1})
    assert await docket.backend.client.zcard(docket.keys.held) == 1

    assert await docket.restore(None, "customer_id", "==", 1) == 1
    await worker.run_until_finished()
    assert runs == Counter({f"charge:{c}": 1 for c in range(4)})


async def test_scheduled_work_is_held_when_it_falls_due(docket: Docket, worker: Worker) -> None:
    soon = datetime.now(UTC) + timedelta(milliseconds=100)
    await docket.add(charge, when=soon, key="later")(9)
    await docket.strike(charge)

    await worker.run_until_finished()  # waits for it to fall due, then holds it

    assert runs == Counter()
    assert await state(docket, "later") is ExecutionState.SCHEDULED
    await docket.restore(charge)
    await worker.run_until_finished()
    assert runs == Counter({"charge:9": 1})


async def test_cancel_and_replace_work_on_held_executions(docket: Docket, worker: Worker) -> None:
    await docket.add(charge, key="cancel-me")(1)
    await docket.add(charge, key="replace-me")(2)
    await docket.strike(charge, "customer_id", "<=", 2)
    await worker.run_until_finished()
    assert runs == Counter()

    assert await docket.cancel("cancel-me")
    await docket.replace(charge, when=datetime.now(UTC), key="replace-me")(3)  # not struck
    await worker.run_until_finished()
    assert runs == Counter({"charge:3": 1})

    assert await docket.restore(charge, "customer_id", "<=", 2) == 0  # nothing left held
    await worker.run_until_finished()
    assert runs == Counter({"charge:3": 1})
    assert await docket.get_execution("cancel-me") is None or (
        await state(docket, "cancel-me") is ExecutionState.CANCELLED
    )


async def test_a_fleet_holds_everything_struck_and_loses_nothing_on_restore(
    docket: Docket, open_peer: OpenPeer
) -> None:
    """Three workers, each on a Docket client of its own, while a fourth client strikes."""
    keys = [f"k{n}" for n in range(60)]
    for n, key in enumerate(keys):
        await docket.add(charge if n % 2 else report, key=key)(n)
    peers = [await open_peer() for _ in range(3)]
    for peer in peers:
        peer.register(charge)
        peer.register(report)

    await docket.strike(charge)
    await wait_until(lambda: all(peer.strikes for peer in peers), within=0.1, what="the strike")
    async with Worker(peers[0]) as first, Worker(peers[1]) as second, Worker(peers[2]) as third:
        workers = [first, second, third]
        await asyncio.gather(*(w.run_until_finished() for w in workers))
        assert runs == Counter({f"report:{n}": 1 for n in range(0, 60, 2)})
        assert await docket.backend.client.zcard(docket.keys.held) == 30

        assert await docket.restore(charge) == 30
        await asyncio.gather(*(w.run_until_finished() for w in workers))

    assert runs == Counter({f"{'charge' if n % 2 else 'report'}:{n}": 1 for n in range(60)})


async def test_a_worker_started_after_a_strike_holds_from_its_first_fetch(
    docket: Docket, open_peer: OpenPeer
) -> None:
    for customer in range(5):
        await docket.add(charge)(customer)
    await docket.strike(None, "customer_id", "between", (0, 10))

    late = await open_peer()  # a new process's client: it loads the strikes as it opens
    late.register(charge)
    async with Worker(late) as worker:
        await worker.run_until_finished()

    assert runs == Counter()
    assert await docket.backend.client.zcard(docket.keys.held) == 5


async def test_a_worker_that_missed_the_restore_runs_what_it_takes(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    """The restore's notice has not reached this worker's client yet: the hold script sees
    the strike gone and puts the message back, and the worker runs it."""
    await docket.add(charge, key="k")(1)
    await docket.strike(charge)
    worker = await make_worker()
    await worker.run_until_finished()
    assert runs == Counter()

    stale = docket._strikes  # this process's copy still has the strike...
    await docket.backend.scripts.strike(docket.strikes[0].id, None)  # ...Redis does not
    assert stale.active
    await docket.backend.scripts.unhold(["k"])

    await worker.run_until_finished()

    assert runs == Counter({"charge:1": 1})
    await wait_until(lambda: not docket.strikes, what="the reload after the lifted strike")
