"""OpenTelemetry metrics: docket's counters, histograms and gauges match what ran."""

from datetime import UTC, datetime, timedelta

from docket import Docket, Retry, Worker

from tests.helpers import wait_until

from .conftest import Otel


class Boom(Exception):
    pass


async def test_counters_and_histograms_match_what_ran(otel: Otel, docket: Docket) -> None:
    flaky_runs = 0

    async def succeed() -> None:
        pass

    async def fail() -> None:
        raise Boom("boom")

    async def flaky(retry: Retry = Retry(attempts=2)) -> None:
        nonlocal flaky_runs
        flaky_runs += 1
        if flaky_runs == 1:
            raise Boom("boom")

    await docket.add(succeed)()
    await docket.add(succeed)()
    await docket.add(fail)()
    await docket.add(flaky)()
    later = datetime.now(UTC) + timedelta(hours=1)
    await docket.add(succeed, when=later, key="later")()
    await docket.replace(succeed, when=datetime.now(UTC), key="later")()
    await docket.add(succeed, when=later, key="doomed")()
    await docket.cancel("doomed")
    async with Worker(docket, name="counted") as worker:
        await worker.run_until_finished()

    name = docket.name
    assert otel.by_task("docket_tasks_added", name) == {"succeed": 4, "fail": 1, "flaky": 1}
    assert otel.by_task("docket_tasks_replaced", name) == {"succeed": 1}
    assert otel.by_task("docket_tasks_scheduled", name) == {"succeed": 5, "fail": 1, "flaky": 1}
    assert otel.by_task("docket_tasks_cancelled", name) == {"": 1}
    ran = {"succeed": 3, "fail": 1, "flaky": 2}
    assert otel.by_task("docket_tasks_started", name) == ran
    assert otel.by_task("docket_tasks_completed", name) == ran
    assert otel.by_task("docket_tasks_succeeded", name) == {"succeed": 3, "flaky": 1}
    assert otel.by_task("docket_tasks_failed", name) == {"fail": 1, "flaky": 1}
    assert otel.by_task("docket_tasks_retried", name) == {"flaky": 1}
    assert otel.by_task("docket_tasks_running", name) == {"succeed": 0, "fail": 0, "flaky": 0}
    assert otel.by_task("docket_task_duration", name) == ran
    assert otel.by_task("docket_task_punctuality", name) == ran
    started = otel.points("docket_tasks_started", name)
    assert {point.attributes["docket.worker"] for point in started} == {"counted"}


async def test_a_dead_letter_and_a_perpetuated_run_are_counted(otel: Otel, docket: Docket) -> None:
    from docket import Perpetual

    async def again(perpetual: Perpetual = Perpetual(every=timedelta(milliseconds=1))) -> None:
        pass

    await docket.add("nobody_registered_this")()
    execution = await docket.add(again)()
    async with Worker(docket, unknown_task_grace=timedelta(0)) as worker:
        await worker.run_at_most({execution.key: 3})

    assert otel.by_task("docket_tasks_dead_lettered", docket.name) == {"": 1}
    assert otel.by_task("docket_tasks_perpetuated", docket.name) == {"again": 2}
    assert otel.by_task("docket_tasks_succeeded", docket.name) == {"again": 3}


async def test_the_depth_gauges_report_the_docket_while_a_worker_runs(
    otel: Otel, docket: Docket
) -> None:
    async def later() -> None:
        pass

    when = datetime.now(UTC) + timedelta(hours=1)
    for _ in range(3):
        await docket.add(later, when=when)()

    def depths() -> tuple[list[float], list[float]]:
        queued = [p.value for p in otel.points("docket_queue_depth", docket.name)]
        scheduled = [p.value for p in otel.points("docket_schedule_depth", docket.name)]
        return queued, scheduled

    async with Worker(docket).running():
        await wait_until(lambda: depths() == ([0], [3]), what="the depth gauges")
    assert depths() == ([], [])  # a docket no worker here watches is not reported


async def test_without_an_sdk_a_docket_and_a_worker_build_no_telemetry(redis_url: str) -> None:
    async with Docket(name="no-sdk", url=redis_url) as docket:
        assert docket._telemetry is None
        async with Worker(docket) as worker:
            assert worker.telemetry is None
