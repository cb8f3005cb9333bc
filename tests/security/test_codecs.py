"""codec="msgpack" on Redis and memory://: arguments travel as plain data and come back typed by
the task's annotations; what msgpack cannot encode fails at `add`, naming the argument; a
worker on msgpack refuses pickled arguments without unpickling them (a planted pickle that
would create a file never does); a cloudpickle worker still runs msgpack messages."""

import enum
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pytest
from docket import Docket, Perpetual, SerializationError, Worker
from docket._codecs import Codec

from .planted import CreatesAFile


class Color(enum.Enum):
    RED = "red"


@dataclass
class Order:
    id: int
    placed: datetime


class Customer(msgspec.Struct):
    name: str
    since: datetime


@pytest.fixture
def name() -> str:
    return f"codec-{uuid.uuid4().hex[:8]}"


async def test_arguments_come_back_as_the_types_the_task_asks_for(
    docket_url: str, name: str
) -> None:
    seen: list[tuple[Any, ...]] = []
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    async def typed(
        at: datetime,
        ident: uuid.UUID,
        amount: Decimal,
        color: Color,
        order: Order,
        customer: Customer,
        tags: list[int],
        note: Annotated[str, "a label"] = "",
        untyped: Any = None,
    ) -> None:
        seen.append((at, ident, amount, color, order, customer, tags, note, untyped))

    ident = uuid.uuid4()
    async with Docket(name, docket_url, codec="msgpack") as docket:
        docket.register(typed)
        await docket.add(typed)(
            when,
            ident,
            Decimal("1.25"),
            Color.RED,
            Order(7, when),
            customer=Customer("Ada", when),
            tags=[1, 2, 3],
            note="hi",
            untyped={"a": [1, 2]},
        )
        async with Worker(docket) as worker:
            await worker.run_until_finished()

    assert seen == [
        (
            when,
            ident,
            Decimal("1.25"),
            Color.RED,
            Order(7, when),
            Customer("Ada", when),
            [1, 2, 3],
            "hi",
            {"a": [1, 2]},
        )
    ]


async def test_what_msgpack_cannot_encode_fails_at_add_naming_the_argument(
    docket_url: str, name: str
) -> None:
    async def takes(n: int, thing: object) -> None: ...

    async with Docket(name, docket_url, codec="msgpack") as docket:
        with pytest.raises(SerializationError) as refused:
            await docket.add(takes)(1, thing=CreatesAFile("/nowhere"))
        assert (await docket.snapshot()).total_tasks == 0  # nothing was scheduled

    message = str(refused.value)
    assert "argument 'thing', a CreatesAFile" in message
    assert "codec='cloudpickle'" in message


async def test_a_msgpack_worker_refuses_pickled_arguments_unopened(
    docket_url: str, name: str, tmp_path: Path
) -> None:
    planted = tmp_path / "planted"

    async def record(thing: object) -> None: ...

    async with Docket(name, docket_url) as pickling_producer:
        await pickling_producer.add("record", key="pickled")(CreatesAFile(str(planted)))
    async with Docket(name, docket_url, codec="msgpack") as docket:
        docket.register(record)
        async with Worker(docket) as worker:
            await worker.run_until_finished()
        letters = {letter.key: letter.reason for letter in await docket.dead_letters()}

    assert not planted.exists()
    assert "pickled arguments, and this docket's codec is msgpack" in letters["pickled"]


@pytest.mark.parametrize("worker_codec", ["cloudpickle", "msgpack"])
async def test_msgpack_messages_run_on_either_worker_and_their_chains_go_on(
    docket_url: str, name: str, worker_codec: Codec
) -> None:
    ran: list[datetime] = []
    start = datetime(2026, 1, 1, tzinfo=UTC)

    async def tick(
        at: datetime,
        perpetual: Perpetual = Perpetual(every=timedelta(milliseconds=5)),
    ) -> None:
        ran.append(at)
        if len(ran) == 3:
            perpetual.cancel()
        else:
            perpetual.perpetuate(at + timedelta(days=1))

    async with Docket(name, docket_url, codec="msgpack") as producer:
        await producer.add("tick", key="ticks")(start)
    async with Docket(name, docket_url, codec=worker_codec) as docket:
        docket.register(tick)
        async with Worker(docket) as worker:
            await worker.run_until_finished()

    assert ran == [start, start + timedelta(days=1), start + timedelta(days=2)]


def test_an_unknown_codec_is_refused_where_it_is_given() -> None:
    with pytest.raises(ValueError, match="is not one of cloudpickle, msgpack"):
        Docket("x", "memory://x", codec="json")  # type: ignore[arg-type]
