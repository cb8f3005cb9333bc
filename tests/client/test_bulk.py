"""add_many and replace_many: many calls per round trip, each with add's or replace's rules."""

from datetime import UTC, datetime, timedelta

import pytest
from docket import Docket, InvalidTaskError, Worker


async def record_into(seen: list[tuple[int, str]], n: int, label: str) -> None:
    seen.append((n, label))


async def test_add_many_schedules_every_call_in_order_across_chunks(
    docket: Docket, worker: Worker
) -> None:
    seen: list[int] = []

    async def count(n: int) -> None:
        seen.append(n)

    executions = await docket.add_many(
        [docket.call(count)(n) for n in range(2500)], chunk_size=1000
    )
    await worker.run_until_finished()

    assert [e.args for e in executions] == [(n,) for n in range(2500)]
    assert all(e.scheduled for e in executions)
    assert sorted(seen) == list(range(2500))


async def test_add_many_keeps_adds_key_rules_within_and_across_batches(
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
        ]
    )
    await worker.run_until_finished()

    assert [e.scheduled for e in executions] == [False, True, False, True]
    assert sorted(seen) == ["first", "kept", "no key"]


async def test_replace_many_replaces_pending_calls_and_schedules_new_ones(
    docket: Docket, worker: Worker
) -> None:
    seen: list[str] = []

    async def send(label: str) -> None:
        seen.append(label)

    later = datetime.now(UTC) + timedelta(hours=1)
    await docket.add(send, when=later, key="a")("old a")
    soon = datetime.now(UTC)
    executions = await docket.replace_many(
        [docket.call(send, when=soon, key="a")("new a"), docket.call(send, when=soon, key="b")("b")]
    )
    await worker.run_until_finished()

    assert all(e.scheduled for e in executions)
    assert sorted(seen) == ["b", "new a"]


async def test_add_tells_whether_it_scheduled_anything(docket: Docket) -> None:
    async def send(label: str) -> None: ...

    later = datetime.now(UTC) + timedelta(hours=1)
    first = await docket.add(send, when=later, key="k")("one")
    second = await docket.add(send, when=later, key="k")("two")

    assert first.scheduled
    assert not second.scheduled


async def test_call_checks_arguments_when_it_is_built(docket: Docket) -> None:
    async def send(label: str) -> None: ...

    with pytest.raises(InvalidTaskError, match="cannot take these arguments"):
        docket.call(send)("a", "b")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="chunk_size"):
        await docket.add_many([docket.call(send)("a")], chunk_size=0)

    assert await docket.backend.backlog() == (0, 0)


async def test_add_many_by_name_from_a_client_that_never_imported_the_task(
    docket: Docket, worker: Worker
) -> None:
    seen: list[tuple[int, str]] = []

    async def greet(n: int, label: str) -> None:
        await record_into(seen, n, label)

    docket.register(greet)
    async with Docket(name=docket.name, url=docket.url) as web:
        await web.add_many([web.call("greet")(n, "hi") for n in range(3)])
    await worker.run_until_finished()

    assert sorted(seen) == [(0, "hi"), (1, "hi"), (2, "hi")]
