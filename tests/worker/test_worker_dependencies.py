"""Worker(dependencies=...): markers resolved around every task the worker runs."""

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from typing import Any

import pytest
from docket import (
    CurrentExecution,
    Depends,
    Docket,
    Execution,
    Logged,
    Perpetual,
    Retry,
    Shared,
    TaskArgument,
    TaskKey,
    Timeout,
    Worker,
)

from ..conftest import WorkerFactory


async def test_a_mapping_fills_task_parameters_of_that_name(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    seen: list[tuple[int, str]] = []

    def open_db(key: str = TaskKey()) -> str:
        return f"db for {key}"

    # No marker of its own; a default, so that calls may leave it out.
    async def task(customer_id: int, db: str | None = None) -> None:
        seen.append((customer_id, db or "none"))

    worker = await make_worker(dependencies={"db": Depends(open_db)})
    await docket.add(task, key="k1")(12345)
    await docket.add(task, key="k2")(customer_id=7)
    await worker.run_until_finished()

    assert sorted(seen) == [(7, "db for k2"), (12345, "db for k1")]


async def test_context_managers_open_around_tasks_that_do_not_ask_for_them(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def transaction(execution: Execution = CurrentExecution()) -> AsyncIterator[None]:
        events.append(f"begin {execution.args[0]}")
        yield
        events.append(f"commit {execution.args[0]}")

    async def plain(n: int) -> None:  # no markers at all: the worker's fast path
        events.append(f"run {n}")

    worker = await make_worker(concurrency=1, dependencies=[Depends(transaction)])
    await docket.add(plain)(1)
    await docket.add(plain)(2)
    await worker.run_until_finished()

    assert events == ["begin 1", "run 1", "commit 1", "begin 2", "run 2", "commit 2"]


async def test_a_value_the_call_passes_is_kept(docket: Docket, make_worker: WorkerFactory) -> None:
    resolved: list[str] = []
    seen: list[str] = []

    def open_db() -> str:
        resolved.append("resolved")
        return "worker's db"

    async def task(db: str = "task's default", other: int = 0) -> None:
        seen.append(db)

    worker = await make_worker(dependencies={"db": Depends(open_db)})
    await docket.add(task)()
    await docket.add(task)("passed by position")
    await docket.add(task)(db="passed by keyword")
    await worker.run_until_finished()

    assert sorted(seen) == ["passed by keyword", "passed by position", "worker's db"]
    assert resolved == ["resolved"] * 3  # resolved for every run, whether used or not


async def test_a_task_parameter_with_its_own_marker_keeps_it(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    seen: list[str] = []

    async def task(db: str = TaskKey()) -> None:
        seen.append(db)

    worker = await make_worker(dependencies={"db": Depends(lambda: "worker's")})
    await docket.add(task, key="own")()
    await worker.run_until_finished()

    assert seen == ["own"]


async def test_tasks_without_that_parameter_still_get_the_dependency_resolved(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    events: list[str] = []

    @contextmanager
    def audit(key: str = TaskKey()) -> Iterator[None]:
        events.append(f"audit {key}")
        yield

    async def task() -> None:
        events.append("task")

    worker = await make_worker(dependencies={"audit": Depends(audit)})
    await docket.add(task, key="k")()
    await worker.run_until_finished()

    assert events == ["audit k", "task"]


async def test_the_task_and_the_worker_share_one_run_of_the_same_depends(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    calls: list[int] = []
    seen: list[tuple[object, object]] = []

    def session() -> object:
        calls.append(1)
        return object()

    async def task(db: object = None, mine: object = Depends(session)) -> None:
        seen.append((db, mine))

    worker = await make_worker(dependencies={"db": Depends(session)})
    await docket.add(task)()
    await worker.run_until_finished()

    [(db, mine)] = seen
    assert db is mine
    assert calls == [1]


async def test_shared_values_work_as_worker_dependencies(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    made: list[object] = []

    def pool() -> object:
        made.append(object())
        return made[-1]

    seen: list[object] = []

    async def task(n: int, pool: Any = None) -> None:
        seen.append(pool)

    worker = await make_worker(dependencies={"pool": Shared(pool)})
    for n in range(4):
        await docket.add(task)(n)
    await worker.run_until_finished()

    assert len(made) == 1
    assert seen == made * 4


async def test_a_failing_worker_dependency_fails_the_task_as_its_retry_says(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    attempts: list[int] = []

    def fragile(execution: Execution = CurrentExecution()) -> None:
        attempts.append(execution.attempt)
        if execution.attempt == 1:
            raise ConnectionError("not yet")

    ran: list[int] = []

    async def task(retry: Retry = Retry(attempts=2)) -> None:
        ran.append(retry.attempt)

    worker = await make_worker(dependencies=[Depends(fragile)])
    await docket.add(task)()
    await worker.run_until_finished()

    assert attempts == [1, 2]
    assert ran == [2]


async def test_a_task_argument_may_be_a_worker_dependency_by_name(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    seen: list[tuple[int, int | None]] = []

    async def task(customer_id: int, copy: int | None = None) -> None:
        seen.append((customer_id, copy))

    worker = await make_worker(dependencies={"copy": TaskArgument("customer_id")})
    await docket.add(task)(42)
    await worker.run_until_finished()

    assert seen == [(42, 42)]


@pytest.mark.parametrize(
    ("dependencies", "message"),
    [
        ({"db": "postgres://"}, r"'postgres://', which is not a docket marker.*Depends\(fn\)"),
        ([print], "not a docket marker"),
        ({"db": Logged}, "not a docket marker"),
        ({"not a name": Depends(print)}, "parameter names"),
        ({1: Depends(print)}, "parameter names"),
        ({"retry": Retry(attempts=3)}, "a policy of one task"),
        ([Perpetual(every=timedelta(seconds=1))], "a policy of one task"),
        ([Timeout(timedelta(seconds=1))], "a policy of one task"),
        ([TaskArgument()], "without a name"),
        ("Depends(open_db)", "a mapping of parameter names to markers"),
        (Depends(print), "a mapping of parameter names to markers"),
    ],
)
def test_anything_but_markers_is_refused_when_the_worker_is_built(
    docket: Docket, dependencies: Any, message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        Worker(docket, dependencies=dependencies)


def test_no_dependencies_and_empty_ones_are_accepted(docket: Docket) -> None:
    empty: list[Mapping[str, Any] | Sequence[Any] | None] = [None, {}, [], ()]
    for dependencies in empty:
        Worker(docket, dependencies=dependencies)
