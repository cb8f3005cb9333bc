"""Logged: start and finish lines show only the arguments of Logged parameters."""

import logging
import re
from typing import Annotated

import pytest
from docket import Docket, Logged, TaskKey, Worker

from . import _future_annotations, _repr_counter


def task_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "docket.worker.tasks"]


async def send_welcome(customer_id: Annotated[int, Logged], name: str, password: str = "") -> None:
    """The README's example: the customer id is fine to log, the rest is not."""


async def test_logged_arguments_show_and_the_others_are_dots(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    await docket.add(send_welcome, key="k")(12345, name="Jane Smith", password="hunter2")
    with caplog.at_level(logging.INFO, logger="docket.worker.tasks"):
        await worker.run_until_finished()

    started, finished = task_lines(caplog)
    assert started == "started send_welcome(12345, name=..., password=...) key=k attempt=1"
    assert re.fullmatch(
        r"finished send_welcome\(12345, name=\.\.\., password=\.\.\.\) key=k attempt=1 "
        r"in \d+\.\d ms",
        finished,
    ), finished
    assert "Jane Smith" not in caplog.text
    assert "hunter2" not in caplog.text


async def test_every_argument_is_dots_by_default(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    async def charge(card_number: str, amount: int, *, currency: str = "EUR") -> None:
        pass

    await docket.add(charge, key="c")("4111 1111 1111 1111", 12, currency="USD")
    with caplog.at_level(logging.INFO, logger="docket.worker.tasks"):
        await worker.run_until_finished()

    assert task_lines(caplog)[0] == "started charge(..., ..., currency=...) key=c attempt=1"
    assert "4111" not in caplog.text


async def test_a_task_called_without_arguments_shows_empty_parentheses(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    async def tidy_up(key: str = TaskKey()) -> None:
        pass

    await docket.add(tidy_up, key="t")()
    with caplog.at_level(logging.INFO, logger="docket.worker.tasks"):
        await worker.run_until_finished()

    assert task_lines(caplog)[0] == "started tidy_up() key=t attempt=1"


async def test_logged_keyword_arguments_show_by_name_and_repr(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    async def greet(name: Annotated[str, Logged()], greeting: str = "hi") -> None:
        pass

    await docket.add(greet, key="g")(name="Jane", greeting="hello")
    await docket.add(greet, key="h")("Joe")
    with caplog.at_level(logging.INFO, logger="docket.worker.tasks"):
        await worker.run_until_finished()

    started = [line for line in task_lines(caplog) if line.startswith("started")]
    assert sorted(started) == [
        "started greet('Joe') key=h attempt=1",
        "started greet(name='Jane', greeting=...) key=g attempt=1",
    ]


async def test_length_only_shows_how_many(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    async def import_rows(
        rows: Annotated[list[str], Logged(length_only=True)],
        tags: Annotated[set[str], Logged(length_only=True)],
        pair: Annotated[tuple[int, int], Logged(length_only=True)],
        count: Annotated[int, Logged(length_only=True)],
    ) -> None:
        pass

    await docket.add(import_rows, key="i")(["a", "b", "c"], {"x"}, (1, 2), count=4)
    with caplog.at_level(logging.INFO, logger="docket.worker.tasks"):
        await worker.run_until_finished()

    assert task_lines(caplog)[0] == (
        "started import_rows([len 3], {len 1}, (len 2), count=4) key=i attempt=1"
    )


async def test_string_annotations_mark_logged_parameters_too(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    await docket.add(_future_annotations.annotated_task, key="f")(7, secret="s3cr3t")  # type: ignore[call-arg]
    with caplog.at_level(logging.INFO, logger="docket.worker.tasks"):
        await worker.run_until_finished()

    assert task_lines(caplog)[0] == "started annotated_task(7, secret=...) key=f attempt=1"
    assert "s3cr3t" not in caplog.text


async def test_retries_show_the_same_call(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    await docket.add(_future_annotations.annotated_task, key="r")(8)  # type: ignore[call-arg]
    with caplog.at_level(logging.INFO, logger="docket.worker.tasks"):
        await worker.run_until_finished()

    started = [line for line in task_lines(caplog) if line.startswith("started")]
    assert started == [
        "started annotated_task(8) key=r attempt=1",
        "started annotated_task(8) key=r attempt=2",
    ]


async def test_arguments_are_not_formatted_when_info_is_off(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    async def noisy(value: Annotated[_repr_counter.Noisy, Logged]) -> None:
        pass

    before = _repr_counter.shown
    await docket.add(noisy)(_repr_counter.Noisy())
    with caplog.at_level(logging.WARNING, logger="docket.worker.tasks"):
        await worker.run_until_finished()
    assert _repr_counter.shown == before

    await docket.add(noisy, key="n")(_repr_counter.Noisy())
    with caplog.at_level(logging.INFO, logger="docket.worker.tasks"):
        await worker.run_until_finished()
    assert "started noisy(Noisy()) key=n attempt=1" in task_lines(caplog)
    assert _repr_counter.shown == before + 1  # built once, for the start and finish lines
