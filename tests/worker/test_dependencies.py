"""Task parameters whose defaults are markers receive what the marker asks for when they run."""

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from logging import Logger, LoggerAdapter
from typing import Any

import pytest
from docket import (
    CurrentDocket,
    CurrentExecution,
    CurrentWorker,
    Depends,
    Docket,
    Execution,
    TaskArgument,
    TaskKey,
    TaskLogger,
    Worker,
)

# -- the docket, the worker, the execution -----------------------------------------------------


async def test_current_docket_has_the_name_and_url_of_the_workers_docket(
    docket: Docket, worker: Worker
) -> None:
    seen: list[tuple[str, str]] = []

    async def task(current: Docket = CurrentDocket()) -> None:
        seen.append((current.name, current.url))

    await docket.add(task)()
    await worker.run_until_finished()

    assert seen == [(docket.name, docket.url)]


async def test_current_docket_can_schedule_more_work_from_a_task(
    docket: Docket, worker: Worker
) -> None:
    ran: list[str] = []

    async def follow_up(name: str) -> None:
        ran.append(name)

    async def first(current: Docket = CurrentDocket()) -> None:
        ran.append("first")
        await current.add(follow_up)("second")

    await docket.add(first)()
    await worker.run_until_finished()

    assert ran == ["first", "second"]


async def test_current_worker_is_the_worker_running_the_task(
    docket: Docket, worker: Worker
) -> None:
    seen: list[Worker] = []

    async def task(current: Worker = CurrentWorker()) -> None:
        seen.append(current)

    await docket.add(task)()
    await worker.run_until_finished()

    assert len(seen) == 1
    assert seen[0] is worker


async def test_current_execution_describes_the_running_call(docket: Docket, worker: Worker) -> None:
    seen: list[tuple[str, str, tuple[Any, ...], dict[str, Any], int]] = []

    async def describe_me(
        number: int, word: str, flag: bool = False, execution: Execution = CurrentExecution()
    ) -> None:
        seen.append(
            (
                execution.key,
                execution.function_name,
                execution.args,
                execution.kwargs,
                execution.attempt,
            )
        )

    await docket.add(describe_me, key="described")(7, "seven", flag=True)
    await worker.run_until_finished()

    assert seen == [("described", "describe_me", (7, "seven"), {"flag": True}, 1)]


async def test_task_key_is_the_key_given_to_add(docket: Docket, worker: Worker) -> None:
    seen: list[str] = []

    async def task(key: str = TaskKey()) -> None:
        seen.append(key)

    await docket.add(task, key="my-own-key")()
    await worker.run_until_finished()

    assert seen == ["my-own-key"]


async def test_task_key_is_the_generated_key_when_none_was_given(
    docket: Docket, worker: Worker
) -> None:
    seen: list[str] = []

    async def task(key: str = TaskKey()) -> None:
        seen.append(key)

    execution = await docket.add(task)()
    await worker.run_until_finished()

    assert seen == [execution.key]


# -- task arguments, for dependencies ----------------------------------------------------------


async def test_task_argument_gives_a_dependency_the_argument_of_the_same_name(
    docket: Docket, worker: Worker
) -> None:
    seen: list[str] = []

    def customer_label(customer_id: int = TaskArgument()) -> str:
        return f"customer-{customer_id}"

    async def task(customer_id: int, label: str = Depends(customer_label)) -> None:
        seen.append(label)

    await docket.add(task)(12345)
    await docket.add(task)(customer_id=678)
    await worker.run_until_finished()

    assert sorted(seen) == ["customer-12345", "customer-678"]


async def test_task_argument_by_explicit_name(docket: Docket, worker: Worker) -> None:
    seen: list[str] = []

    async def greeting(who: str = TaskArgument("name")) -> str:
        return f"hello {who}"

    async def task(name: str, message: str = Depends(greeting)) -> None:
        seen.append(message)

    await docket.add(task)("Jane")
    await worker.run_until_finished()

    assert seen == ["hello Jane"]


async def test_optional_task_argument_is_none_when_the_task_was_not_given_it(
    docket: Docket, worker: Worker
) -> None:
    seen: list[str | None] = []

    def maybe_coupon(coupon: str | None = TaskArgument(optional=True)) -> str | None:
        return coupon

    async def task(coupon: str | None = None, found: str | None = Depends(maybe_coupon)) -> None:
        seen.append(found)

    await docket.add(task)()
    await docket.add(task)("SAVE10")
    await worker.run_until_finished()

    assert sorted(seen, key=str) == [None, "SAVE10"]


async def test_task_argument_falls_back_to_the_tasks_own_default(
    docket: Docket, worker: Worker
) -> None:
    seen: list[str] = []

    def currency_label(currency: str = TaskArgument()) -> str:
        return currency.upper()

    async def task(
        amount: int, currency: str = "eur", label: str = Depends(currency_label)
    ) -> None:
        seen.append(label)

    await docket.add(task)(10)
    await docket.add(task)(10, "usd")
    await worker.run_until_finished()

    assert sorted(seen) == ["EUR", "USD"]


async def test_missing_task_argument_fails_the_task_with_an_error_naming_it(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def coupon_code(coupon: str = TaskArgument()) -> str:
        return coupon

    async def task(order_id: int, code: str = Depends(coupon_code)) -> None:
        ran.append(code)

    execution = await docket.add(task)(1)
    with caplog.at_level(logging.INFO, logger="docket.worker"):
        await worker.run_until_finished()

    assert ran == []
    failures = [r for r in caplog.records if r.exc_info and execution.key in r.getMessage()]
    assert len(failures) == 1
    exc_info = failures[0].exc_info
    assert exc_info is not None
    error = str(exc_info[1])
    assert "'coupon'" in error
    assert "optional=True" in error


async def test_a_failing_dependency_fails_the_task_without_running_it(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def unavailable() -> str:
        raise ConnectionRefusedError("the database is down")

    async def task(database: str = Depends(unavailable)) -> None:
        ran.append(database)

    await docket.add(task)()
    with caplog.at_level(logging.INFO, logger="docket.worker"):
        await worker.run_until_finished()

    assert ran == []
    assert worker.statistics().failed == 1
    assert "ConnectionRefusedError: the database is down" in caplog.text


# -- the task logger ---------------------------------------------------------------------------


async def test_task_logger_records_carry_the_task_key(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    async def chatty(logger: LoggerAdapter[Logger] = TaskLogger()) -> None:
        logger.info("working on it")

    execution = await docket.add(chatty, key="chatty-key")()
    with caplog.at_level(logging.INFO):
        await worker.run_until_finished()

    records = [r for r in caplog.records if r.getMessage() == "working on it"]
    assert len(records) == 1
    assert getattr(records[0], "docket_key", None) == execution.key == "chatty-key"


# -- Depends -----------------------------------------------------------------------------------


async def test_depends_on_a_sync_function_passes_its_return_value(
    docket: Docket, worker: Worker
) -> None:
    seen: list[int] = []

    def answer() -> int:
        return 42

    async def task(value: int = Depends(answer)) -> None:
        seen.append(value)

    await docket.add(task)()
    await worker.run_until_finished()

    assert seen == [42]


async def test_depends_on_an_async_function_passes_its_awaited_result(
    docket: Docket, worker: Worker
) -> None:
    seen: list[str] = []

    async def fetch_setting() -> str:
        return "from-async"

    async def task(value: str = Depends(fetch_setting)) -> None:
        seen.append(value)

    await docket.add(task)()
    await worker.run_until_finished()

    assert seen == ["from-async"]


class Connection:
    """A sync context manager that records when it is entered and exited."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def __enter__(self) -> str:
        self.events.append("enter")
        return "connection"

    def __exit__(self, *exc_info: object) -> None:
        self.events.append("exit")


class AsyncConnection:
    """An async context manager that records when it is entered and exited."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    async def __aenter__(self) -> str:
        self.events.append("enter")
        return "async-connection"

    async def __aexit__(self, *exc_info: object) -> None:
        self.events.append("exit")


@pytest.mark.parametrize("fails", [False, True], ids=["succeeds", "raises"])
async def test_sync_context_manager_dependency_is_open_exactly_while_the_task_runs(
    docket: Docket, worker: Worker, fails: bool
) -> None:
    events: list[str] = []

    def connect() -> Connection:
        return Connection(events)

    async def task(connection: str = Depends(connect)) -> None:
        events.append(f"task with {connection}")
        if fails:
            raise RuntimeError("task failed")

    await docket.add(task)()
    await worker.run_until_finished()

    assert events == ["enter", "task with connection", "exit"]


@pytest.mark.parametrize("fails", [False, True], ids=["succeeds", "raises"])
async def test_async_context_manager_dependency_is_open_exactly_while_the_task_runs(
    docket: Docket, worker: Worker, fails: bool
) -> None:
    events: list[str] = []

    def connect() -> AsyncConnection:
        return AsyncConnection(events)

    async def task(connection: str = Depends(connect)) -> None:
        events.append(f"task with {connection}")
        if fails:
            raise RuntimeError("task failed")

    await docket.add(task)()
    await worker.run_until_finished()

    assert events == ["enter", "task with async-connection", "exit"]


@pytest.mark.parametrize("fails", [False, True], ids=["succeeds", "raises"])
async def test_decorated_context_manager_dependencies_wrap_the_task(
    docket: Docket, worker: Worker, fails: bool
) -> None:
    events: list[str] = []

    @contextmanager
    def sync_resource() -> Iterator[str]:
        events.append("enter sync")
        try:
            yield "sync"
        finally:
            events.append("exit sync")

    @asynccontextmanager
    async def async_resource() -> AsyncIterator[str]:
        events.append("enter async")
        try:
            yield "async"
        finally:
            events.append("exit async")

    async def task(
        first: str = Depends(sync_resource), second: str = Depends(async_resource)
    ) -> None:
        events.append(f"task with {first} and {second}")
        if fails:
            raise RuntimeError("task failed")

    await docket.add(task)()
    await worker.run_until_finished()

    assert events == [
        "enter sync",
        "enter async",
        "task with sync and async",
        "exit async",
        "exit sync",
    ]


@pytest.mark.parametrize("fails", [False, True], ids=["succeeds", "raises"])
async def test_generator_dependency_yields_its_value_and_finishes_after_the_task(
    docket: Docket, worker: Worker, fails: bool
) -> None:
    events: list[str] = []

    def session() -> Iterator[str]:
        events.append("setup")
        try:
            yield "session"
        finally:
            events.append("teardown")

    # Depends' overloads do not cover bare generator functions, hence the ignore.
    async def task(value: str = Depends(session)) -> None:
        events.append(f"task with {value}")
        if fails:
            raise RuntimeError("task failed")

    await docket.add(task)()
    await worker.run_until_finished()

    assert events == ["setup", "task with session", "teardown"]


@pytest.mark.parametrize("fails", [False, True], ids=["succeeds", "raises"])
async def test_async_generator_dependency_yields_its_value_and_finishes_after_the_task(
    docket: Docket, worker: Worker, fails: bool
) -> None:
    events: list[str] = []

    async def session() -> AsyncIterator[str]:
        events.append("setup")
        try:
            yield "async-session"
        finally:
            events.append("teardown")

    # Depends' overloads do not cover bare generator functions, hence the ignore.
    async def task(value: str = Depends(session)) -> None:
        events.append(f"task with {value}")
        if fails:
            raise RuntimeError("task failed")

    await docket.add(task)()
    await worker.run_until_finished()

    assert events == ["setup", "task with async-session", "teardown"]


async def test_dependencies_can_depend_on_other_dependencies(
    docket: Docket, worker: Worker
) -> None:
    seen: list[str] = []

    def base_url() -> str:
        return "https://example.com"

    async def client(url: str = Depends(base_url), key: str = TaskKey()) -> str:
        return f"client for {url} ({key})"

    def service(http: str = Depends(client)) -> str:
        return f"service using {http}"

    async def task(value: str = Depends(service)) -> None:
        seen.append(value)

    await docket.add(task, key="nested")()
    await worker.run_until_finished()

    assert seen == ["service using client for https://example.com (nested)"]


async def test_a_dependency_used_twice_is_called_once_per_task_run(
    docket: Docket, worker: Worker
) -> None:
    calls: list[int] = []
    seen: list[tuple[int, int, int]] = []

    def counter() -> int:
        calls.append(len(calls) + 1)
        return len(calls)

    def doubled(count: int = Depends(counter)) -> int:
        return count * 2

    async def task(
        first: int = Depends(counter),
        second: int = Depends(counter),
        twice: int = Depends(doubled),
    ) -> None:
        seen.append((first, second, twice))

    await docket.add(task)()
    await docket.add(task)()
    await worker.run_until_finished()

    assert calls == [1, 2]
    assert sorted(seen) == [(1, 1, 2), (2, 2, 4)]


async def test_explicitly_passed_arguments_win_over_markers(docket: Docket, worker: Worker) -> None:
    seen: list[tuple[int, str]] = []
    calls: list[str] = []

    def expensive() -> int:
        calls.append("expensive")
        return -1

    async def task(value: int = Depends(expensive), task_key: str = TaskKey()) -> None:
        seen.append((value, task_key))

    await docket.add(task, key="real-key")(5, task_key="passed-key")
    await docket.add(task, key="other-key")(value=6)
    await worker.run_until_finished()

    assert sorted(seen) == [(5, "passed-key"), (6, "other-key")]
    assert calls == []
