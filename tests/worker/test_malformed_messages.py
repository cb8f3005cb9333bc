"""Hand-written messages a worker cannot run are dead-lettered; the rest of the batch runs."""

import asyncio
import pickle
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from docket import Docket, Worker
from docket._speedups import encode_envelope
from docket._time import now_ms

from ..helpers import wait_until

WorkerFactory = Callable[..., Awaitable[Worker]]
StartWorker = Callable[[Worker], "asyncio.Task[None]"]

TOKEN = "0123456789abcdef"

# Arguments that unpickle to something other than the (args, kwargs) pair docket writes.
MISSHAPEN_ARGUMENTS = {
    "an int": pickle.dumps(42),
    "a triple": pickle.dumps((1, 2, 3)),
    "kwargs a list": pickle.dumps(((1,), [1])),
    "args an int": pickle.dumps((1, {})),
    "args a string": pickle.dumps(("ab", {})),
    "kwargs with an int key": pickle.dumps(((), {1: 2})),
    "a one-element list": pickle.dumps([()]),
}


async def add_raw(docket: Docket, fields: dict[str, bytes]) -> None:
    client: Any = docket.backend.client
    await client.xadd(docket.keys.stream, fields)


@pytest.mark.parametrize("arguments", MISSHAPEN_ARGUMENTS.values(), ids=MISSHAPEN_ARGUMENTS)
async def test_arguments_of_the_wrong_shape_are_dead_lettered_and_the_batch_runs(
    docket: Docket, worker: Worker, arguments: bytes
) -> None:
    ran: list[int] = []

    async def send(n: int = 0) -> None:
        ran.append(n)

    await docket.add(send)(1)
    await add_raw(
        docket, {"d": encode_envelope("hand-made", "send", now_ms(), 1, TOKEN, arguments)}
    )
    await docket.add(send)(2)
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert sorted(ran) == [1, 2]
    [letter] = await docket.dead_letters()
    assert letter.key == "hand-made"
    assert "(args, kwargs)" in letter.reason
    assert worker.statistics().dead_lettered == 1
    assert worker.statistics().failed == 0


async def test_a_stream_entry_without_an_envelope_is_dead_lettered_with_a_reason(
    docket: Docket, worker: Worker
) -> None:
    ran: list[int] = []

    async def send(n: int) -> None:
        ran.append(n)

    await docket.add(send)(1)
    await add_raw(docket, {"x": b"y"})
    await docket.add(send)(2)
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert sorted(ran) == [1, 2]
    [letter] = await docket.dead_letters()
    assert "no docket envelope" in letter.reason
    assert not letter.requeueable
    assert worker.statistics().dead_lettered == 1


async def test_an_entry_deleted_while_pending_is_dropped_without_a_dead_letter(
    docket: Docket, make_worker: WorkerFactory, start_worker: StartWorker
) -> None:
    ran: list[int] = []

    async def send(n: int) -> None:
        ran.append(n)

    await docket.add(send, key="gone")(1)
    await docket.backend.ensure_group()
    [(message_id, _payload)] = await docket.backend.read("crashed", 10, None)
    # Something outside docket trims the entry (and its task) while the message is pending.
    client: Any = docket.backend.client
    await client.xdel(docket.keys.stream, message_id)
    await client.delete(docket.keys.task("gone"))
    await docket.add(send)(2)

    rescuer = await make_worker(redelivery_timeout=timedelta(milliseconds=100))
    running = start_worker(rescuer)
    await wait_until(lambda: ran == [2], what="the live task to run")
    await wait_until(lambda: holds_nothing(docket, "crashed"), what="the rescuer to sweep")

    assert not running.done()
    assert await docket.dead_letters() == []
    assert rescuer.statistics().dead_lettered == 0


async def holds_nothing(docket: Docket, consumer: str) -> bool:
    client: Any = docket.backend.client
    summary = await client.xpending(docket.keys.stream, docket.keys.group)
    return all(c["name"] != consumer.encode() for c in summary["consumers"] or [])


@pytest.mark.parametrize(
    "payload",
    [b"\xc0\xff\xfe\x00" + b"x", b"\xc0carried\x00"],
    ids=["a carried key that is not UTF-8", "nothing after the carried key"],
)
async def test_a_mangled_carried_key_is_dead_lettered_and_listed(
    docket: Docket, worker: Worker, payload: bytes
) -> None:
    ran: list[int] = []

    async def send(n: int) -> None:
        ran.append(n)

    await docket.add(send)(1)
    await add_raw(docket, {"d": payload})
    await docket.add(send)(2)
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert sorted(ran) == [1, 2]
    [letter] = await docket.dead_letters()
    assert not letter.requeueable
    assert worker.statistics().dead_lettered == 1
