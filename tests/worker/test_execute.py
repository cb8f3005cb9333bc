"""The worker runs what clients schedule."""

from datetime import UTC, datetime, timedelta

from docket import Docket, Worker


async def test_worker_runs_an_immediate_task_with_its_arguments(
    docket: Docket, worker: Worker
) -> None:
    seen: list[tuple[int, str]] = []

    async def greet(customer_id: int, name: str) -> None:
        seen.append((customer_id, name))

    await docket.add(greet)(12345, "Jane Smith")
    await worker.run_until_finished()

    assert seen == [(12345, "Jane Smith")]


async def test_future_task_runs_no_earlier_than_its_when(docket: Docket, worker: Worker) -> None:
    started: list[datetime] = []

    async def later() -> None:
        started.append(datetime.now(UTC))

    when = datetime.now(UTC) + timedelta(milliseconds=200)
    await docket.add(later, when=when)()
    await worker.run_until_finished()

    assert len(started) == 1
    assert started[0] >= when
