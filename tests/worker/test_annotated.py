"""``Annotated[T, marker]`` works wherever a marker default does."""

import logging
from datetime import timedelta
from typing import Annotated, Any

import pytest
from docket import (
    CurrentDocket,
    CurrentExecution,
    CurrentWorker,
    Depends,
    Docket,
    Execution,
    ExponentialRetry,
    InvalidTaskError,
    Logged,
    Retry,
    Shared,
    TaskArgument,
    TaskKey,
    TaskLogger,
    Worker,
)

from . import _future_annotations

NO_DELAY = timedelta(0)


async def test_annotated_markers_are_filled_like_defaults(docket: Docket, worker: Worker) -> None:
    seen: list[tuple[Any, ...]] = []

    def prefix(key: Annotated[str, TaskKey()]) -> str:  # in a dependency too
        return f"dep:{key}"

    async def task(
        customer_id: int,
        key: Annotated[str, TaskKey()],
        current: Annotated[Docket, CurrentDocket()],
        running: Annotated[Worker, CurrentWorker()],
        execution: Annotated[Execution, CurrentExecution()],
        log: Annotated[Any, TaskLogger()],
        tag: Annotated[str, Depends(prefix)],
    ) -> None:
        log.info("running")
        seen.append((customer_id, key, current, running, execution.key, tag))

    await docket.add(task, key="k-1")(12345)  # type: ignore[call-arg]  # see below
    await worker.run_until_finished()

    assert seen == [(12345, "k-1", worker.docket, worker, "k-1", "dep:k-1")]


async def test_a_plain_default_is_for_type_checkers_and_the_marker_wins(
    docket: Docket, worker: Worker
) -> None:
    seen: list[tuple[str, str]] = []

    async def task(
        key: Annotated[str, TaskKey()] = "", word: Annotated[str, Depends(lambda: "hi")] = ""
    ) -> None:
        seen.append((key, word))

    await docket.add(task, key="typed")()  # no type: ignore needed: the parameters have defaults
    await worker.run_until_finished()

    assert seen == [("typed", "hi")]


async def test_an_annotated_retry_retries(docket: Docket, worker: Worker) -> None:
    attempts: list[int] = []

    async def faily(
        retry: Annotated[
            Retry, ExponentialRetry(attempts=3, minimum_delay=NO_DELAY, maximum_delay=NO_DELAY)
        ],
    ) -> None:
        attempts.append(retry.attempt)
        raise ValueError("whoops!")

    await docket.add(faily)()  # type: ignore[call-arg]
    await worker.run_until_finished()

    assert attempts == [1, 2, 3]


async def test_an_annotated_marker_may_come_before_required_parameters(
    docket: Docket, worker: Worker
) -> None:
    seen: list[tuple[str, int]] = []

    async def task(key: Annotated[str, TaskKey()], count: int) -> None:
        seen.append((key, count))

    await docket.add(task, key="first")(count=3)  # type: ignore[call-arg]
    await worker.run_until_finished()

    assert seen == [("first", 3)]


async def test_a_value_passed_for_an_annotated_parameter_is_kept(
    docket: Docket, worker: Worker
) -> None:
    seen: list[str] = []

    async def task(key: Annotated[str, TaskKey()]) -> None:
        seen.append(key)

    await docket.add(task, key="k")("passed")
    await worker.run_until_finished()

    assert seen == ["passed"]


async def test_annotated_task_argument_in_a_dependency(docket: Docket, worker: Worker) -> None:
    seen: list[str] = []

    def customer(customer_id: Annotated[int, TaskArgument()]) -> str:
        return f"customer {customer_id}"

    async def send(customer_id: int, who: Annotated[str, Depends(customer)] = "") -> None:
        seen.append(who)

    await docket.add(send)(12345)
    await worker.run_until_finished()

    assert seen == ["customer 12345"]


async def test_annotated_shared(docket: Docket, worker: Worker) -> None:
    made: list[object] = []

    def pool() -> object:
        made.append(object())
        return made[-1]

    seen: list[object] = []

    async def task(n: int, pool: Annotated[object, Shared(pool)] = None) -> None:
        seen.append(pool)

    await docket.add(task)(1)
    await docket.add(task)(2)
    await worker.run_until_finished()

    assert seen == made * 2


async def test_string_annotations_are_resolved(docket: Docket, worker: Worker) -> None:
    _future_annotations.seen.clear()

    await docket.add(_future_annotations.annotated_task, key="future")(7, secret="s3cr3t")  # type: ignore[call-arg]
    await worker.run_until_finished()

    assert _future_annotations.seen == [
        (7, "future", docket.name, "hello", 1),
        (7, "future", docket.name, "hello", 2),
    ]


async def test_an_unresolvable_string_annotation_does_not_spoil_the_others(
    docket: Docket, worker: Worker
) -> None:
    _future_annotations.seen.clear()

    await docket.add(_future_annotations.unresolvable)(5)
    await worker.run_until_finished()

    assert _future_annotations.seen == [(5,)]


# -- refused at registration ------------------------------------------------------------------


async def asks_for_its_own_argument(customer_id: int, name: Annotated[Any, TaskArgument()]) -> None:
    """An annotated TaskArgument in a task: as refused as a default one."""


async def two_policies(
    a: Annotated[Retry, Retry(attempts=2)], b: ExponentialRetry = ExponentialRetry(attempts=3)
) -> None:
    """Two retry policies, one annotated."""


async def two_markers(key: Annotated[str, TaskKey(), CurrentDocket()]) -> None:
    """One parameter, two markers."""


async def marker_and_default_marker(
    key: Annotated[str, TaskKey()] = CurrentDocket(),  # type: ignore[assignment]
) -> None:
    """An annotated marker and a marker default: which one?"""


async def logged_and_default(customer_id: Annotated[int, Logged] = 0) -> None:
    """Logged is no marker: a default is fine."""


def test_an_annotated_task_argument_is_refused_at_registration(docket: Docket) -> None:
    with pytest.raises(InvalidTaskError, match=r"'name'.*TaskArgument\(\)"):
        docket.register(asks_for_its_own_argument)


def test_two_retry_policies_are_refused_even_when_one_is_annotated(docket: Docket) -> None:
    with pytest.raises(InvalidTaskError, match=r"2 Retry parameters \('a', 'b'\)"):
        docket.register(two_policies)


def test_two_markers_on_one_parameter_are_refused(docket: Docket) -> None:
    with pytest.raises(InvalidTaskError, match=r"'key' is annotated with 2 markers"):
        docket.register(two_markers)


def test_an_annotated_marker_with_a_marker_default_is_refused(docket: Docket) -> None:
    with pytest.raises(
        InvalidTaskError, match=r"'key' is annotated with TaskKey\(\) and defaults to CurrentDocket"
    ):
        docket.register(marker_and_default_marker)


def test_logged_with_a_default_is_accepted(docket: Docket) -> None:
    docket.register(logged_and_default)

    assert docket.tasks["logged_and_default"] is logged_and_default


async def test_a_dependency_with_two_markers_fails_the_task_and_the_worker_goes_on(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def confused(key: Annotated[str, TaskKey(), CurrentDocket()]) -> str:
        return key

    async def task(value: str = Depends(confused)) -> None:
        raise AssertionError("never runs")

    async def healthy() -> None:
        ran.append("healthy")

    await docket.add(task)()
    await docket.add(healthy)()
    with caplog.at_level(logging.ERROR, logger="docket.worker"):
        await worker.run_until_finished()

    assert ran == ["healthy"]
    assert worker.statistics().failed == 1
    assert "confused's parameter 'key' is annotated with 2 markers" in caplog.text
