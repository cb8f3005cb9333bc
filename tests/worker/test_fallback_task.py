"""Worker(fallback_task=fn): a message for a task no worker registered runs `fn` in its place,
as if it were the task: the call's arguments, dependency injection, its Retry, the normal ack."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from docket import CurrentExecution, Depends, Docket, Execution, Retry, TaskLogger, Worker

WorkerFactory = Callable[..., Awaitable[Worker]]


async def run_until_finished(worker: Worker) -> None:
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)


async def test_the_fallback_gets_the_arguments_of_the_call_and_the_message_is_acknowledged(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    async def fallback(*args: Any, **kwargs: Any) -> None:
        calls.append((args, kwargs))

    worker = await make_worker(fallback_task=fallback)
    await docket.add("not_registered_anywhere", key="k1")(42, "hello", z=False)

    await run_until_finished(worker)

    assert calls == [((42, "hello"), {"z": False})]
    assert (worker.statistics().succeeded, worker.statistics().dead_lettered) == (1, 0)
    assert await docket.dead_letters() == []
    assert await docket.add("not_registered_anywhere", key="k1")(1)  # the key is free again


async def test_current_execution_names_the_task_that_was_asked_for(
    docket: Docket, make_worker: WorkerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[Execution] = []

    async def fallback(
        *args: Any,
        execution: Execution = CurrentExecution(),
        log: "logging.LoggerAdapter[logging.Logger]" = TaskLogger(),
        **kwargs: Any,
    ) -> None:
        seen.append(execution)
        log.info("handled %s", execution.function_name)

    worker = await make_worker(fallback_task=fallback)
    await docket.add("renamed_long_ago", key="old")(7)

    with caplog.at_level(logging.INFO):
        await run_until_finished(worker)

    [execution] = seen
    assert (execution.function_name, execution.function, execution.args) == (
        "renamed_long_ago",
        fallback,
        (7,),
    )
    assert execution.key == "old"
    handled = [r for r in caplog.records if r.getMessage() == "handled renamed_long_ago"]
    assert [record.name for record in handled] == ["docket.task.renamed_long_ago"]
    [started] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("started ")]
    assert started.startswith("started renamed_long_ago(")  # the name asked for, not `fallback`
    assert started.endswith(" key=old attempt=1")


async def test_the_fallback_gets_its_dependencies(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    async def request_id() -> str:
        return "req-12345"

    seen: list[str] = []

    async def fallback(*args: Any, rid: str = Depends(request_id), **kwargs: Any) -> None:
        seen.append(rid)

    worker = await make_worker(fallback_task=fallback)
    await docket.add("unknown_here")()

    await run_until_finished(worker)

    assert seen == ["req-12345"]


async def test_a_failing_fallback_is_retried_per_its_retry_and_runs_again_as_the_fallback(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    attempts: list[tuple[str, int]] = []

    async def fallback(
        *args: Any,
        retry: Retry = Retry(attempts=3, delay=timedelta(milliseconds=10)),
        execution: Execution = CurrentExecution(),
        **kwargs: Any,
    ) -> None:
        attempts.append((execution.function_name, retry.attempt))
        if retry.attempt < 3:
            raise ValueError("not yet")

    worker = await make_worker(fallback_task=fallback)
    await docket.add("unknown_here")(1)

    await run_until_finished(worker)

    assert attempts == [("unknown_here", 1), ("unknown_here", 2), ("unknown_here", 3)]
    statistics = worker.statistics()
    assert (statistics.retried, statistics.succeeded, statistics.failed) == (2, 1, 0)


async def test_a_fallback_that_cannot_take_the_arguments_fails_like_a_task_and_the_worker_runs_on(
    docket: Docket, make_worker: WorkerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    async def takes_nothing() -> None:
        ran.append("fallback")

    async def known(name: str) -> None:
        ran.append(name)

    docket.register(known)
    worker = await make_worker(fallback_task=takes_nothing)
    await docket.add("unknown_here", key="bad")(1, 2)
    await docket.add(known)("after")

    with caplog.at_level(logging.ERROR):
        await run_until_finished(worker)

    assert ran == ["after"]
    statistics = worker.statistics()
    assert (statistics.failed, statistics.succeeded, statistics.dead_lettered) == (1, 1, 0)
    [failure] = [r for r in caplog.records if r.getMessage().startswith("failed unknown_here")]
    assert failure.exc_info is not None
    assert isinstance(failure.exc_info[1], TypeError)
    assert await docket.dead_letters() == []


async def test_registered_tasks_never_go_to_the_fallback(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    ran: list[str] = []

    async def fallback(*args: Any, **kwargs: Any) -> None:
        ran.append("fallback")

    async def known() -> None:
        ran.append("known")

    worker = await make_worker(fallback_task=fallback)
    await docket.add(known)()
    await docket.add("trace")("a built-in is registered too")

    await run_until_finished(worker)

    assert ran == ["known"]
    assert worker.statistics().succeeded == 2


async def test_without_a_fallback_an_unknown_task_is_still_dead_lettered(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    worker = await make_worker(unknown_task_grace=timedelta(0))
    await docket.add("unknown_here", key="lost")(1)

    await run_until_finished(worker)

    [letter] = await docket.dead_letters()
    assert (letter.key, letter.function) == ("lost", "unknown_here")
    assert worker.statistics().dead_lettered == 1
