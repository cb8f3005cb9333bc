"""add_many and replace_many with atomic=True: the whole batch is scheduled, or none of it."""

from datetime import UTC, datetime, timedelta

from docket import Docket, Worker


async def test_an_atomic_add_many_schedules_every_call(docket: Docket, worker: Worker) -> None:
    seen: list[str] = []

    async def send(label: str) -> None:
        seen.append(label)

    executions = await docket.add_many(
        [docket.call(send, key="welcome-1")("welcome"), docket.call(send)("follow-up")],
        atomic=True,
    )
    await worker.run_until_finished()

    assert [e.scheduled for e in executions] == [True, True]
    assert sorted(seen) == ["follow-up", "welcome"]


async def test_an_atomic_add_many_keeps_adds_key_rules_per_call(
    docket: Docket, worker: Worker
) -> None:
    seen: list[str] = []

    async def send(label: str) -> None:
        seen.append(label)

    await docket.add(send, key="already")("first")
    executions = await docket.add_many(
        [
            docket.call(send, key="already")("ignored"),
            docket.call(send, key="twice")("kept"),
            docket.call(send, key="twice")("dropped"),
            docket.call(send)("no key"),
        ],
        atomic=True,
    )
    await worker.run_until_finished()

    assert [e.scheduled for e in executions] == [False, True, False, True]
    assert sorted(seen) == ["first", "kept", "no key"]


async def test_an_atomic_replace_many_replaces_pending_calls(
    docket: Docket, worker: Worker
) -> None:
    seen: list[str] = []

    async def send(label: str) -> None:
        seen.append(label)

    later = datetime.now(UTC) + timedelta(hours=1)
    soon = datetime.now(UTC) + timedelta(milliseconds=50)
    await docket.add(send, when=later, key="parked")("old parked")
    await docket.add(send, key="queued")("old queued")
    executions = await docket.replace_many(
        [
            docket.call(send, when=soon, key="parked")("new parked"),
            docket.call(send, key="queued")("new queued"),
            docket.call(send, key="fresh")("fresh"),
        ],
        atomic=True,
    )
    await worker.run_until_finished()

    assert all(e.scheduled for e in executions)
    assert sorted(seen) == ["fresh", "new parked", "new queued"]


async def test_an_atomic_batch_schedules_future_calls_too(docket: Docket) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)

    async def send(label: str) -> None: ...

    docket.register(send)
    await docket.add_many(
        [docket.call(send, when=later, key=f"k{n}")(str(n)) for n in range(3)], atomic=True
    )

    assert await docket.backend.backlog() == (0, 3)
    assert [e.scheduled for e in await docket.add_many([docket.call(send, key="k1")("x")])] == [
        False
    ]


async def test_an_empty_atomic_batch_does_nothing(docket: Docket) -> None:
    assert await docket.add_many([], atomic=True) == []
    assert await docket.replace_many([], atomic=True) == []
