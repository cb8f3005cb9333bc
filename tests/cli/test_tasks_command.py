"""`docket tasks trace | fail | sleep` as real processes against the suite's Redis: one line says
what was scheduled, and a `docket worker` runs it; a Redis it cannot reach is one line, exit 1."""

import re
import socket
from datetime import UTC, datetime, timedelta

import pytest
from docket import Docket
from docket.testing import assert_task_scheduled

from .commands import Result, docket_command
from .conftest import SpawnWorker

SCHEDULED = re.compile(
    r"scheduled (?P<call>\w+\(.*\)) on docket '(?P<docket>[^']+)': key (?P<key>\S+), "
    r"due (?P<due>\S+) \((?P<soon>[^)]+)\)"
)


def scheduled_line(result: Result) -> "re.Match[str]":
    """The one line `docket tasks` printed, parsed."""
    assert result.code == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    match = SCHEDULED.fullmatch(lines[0])
    assert match is not None, lines[0]
    return match


async def docket_tasks(*arguments: str, env: dict[str, str] | None = None) -> Result:
    """Run `docket tasks ARGUMENTS` as a process of its own."""
    return await docket_command("tasks", *arguments, env=env)


@pytest.fixture
def where(redis_url: str, docket_name: str) -> list[str]:
    return ["--url", redis_url, "--docket", docket_name]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_trace_is_scheduled_now_and_a_worker_logs_its_message(
    where: list[str], docket_name: str, spawn_worker: SpawnWorker
) -> None:
    scheduled = scheduled_line(await docket_tasks("trace", "smoke test 1", *where))

    assert scheduled["call"] == "trace('smoke test 1')"
    assert (scheduled["docket"], scheduled["soon"]) == (docket_name, "now")
    due = datetime.fromisoformat(scheduled["due"])
    assert abs(datetime.now(UTC) - due) < timedelta(minutes=1)
    worker = await spawn_worker("--until-finished")
    assert await worker.wait_for_exit() == 0, worker.log()
    assert f"smoke test 1: {scheduled['key']!r} added to docket {docket_name!r}" in worker.log()
    assert "docket.task.trace" in worker.log()


async def test_a_delay_schedules_it_for_later(where: list[str], cli_docket: Docket) -> None:
    before = datetime.now(UTC)

    scheduled = scheduled_line(await docket_tasks("trace", "later", "--delay", "1h", *where))

    assert scheduled["soon"] == "in 1h"
    due = datetime.fromisoformat(scheduled["due"])
    assert before + timedelta(hours=1) <= due <= datetime.now(UTC) + timedelta(hours=1)
    await assert_task_scheduled(cli_docket, "trace", args=("later",), key=scheduled["key"])
    assert await cli_docket.cancel(scheduled["key"])


async def test_fail_is_scheduled_and_the_worker_logs_both_failures(
    where: list[str], spawn_worker: SpawnWorker
) -> None:
    scheduled = scheduled_line(await docket_tasks("fail", "expected in a smoke test", *where))

    assert scheduled["call"] == "fail('expected in a smoke test')"
    worker = await spawn_worker("--until-finished")
    assert await worker.wait_for_exit() == 0, worker.log()
    key = scheduled["key"]
    for attempt in (1, 2):  # `fail` or, with its arguments, `fail(...)`
        assert re.search(rf"failed fail(\(.*\))? key={key} attempt={attempt} ", worker.log())
    assert f"Exception: expected in a smoke test: {key} added to docket" in worker.log()


async def test_sleep_is_scheduled_and_the_worker_sleeps(
    where: list[str], spawn_worker: SpawnWorker
) -> None:
    scheduled = scheduled_line(await docket_tasks("sleep", "0.1", *where))

    assert scheduled["call"] == "sleep(0.1)"
    worker = await spawn_worker("--until-finished")
    assert await worker.wait_for_exit() == 0, worker.log()
    assert "Sleeping for 0.1 seconds" in worker.log()
    [finished] = [line for line in worker.log().splitlines() if "finished sleep(" in line]
    assert f" key={scheduled['key']} attempt=1 in " in finished


async def test_pydockets_defaults_and_the_environment_are_used(
    redis_url: str, docket_name: str, cli_docket: Docket
) -> None:
    env = {"DOCKET_URL": redis_url, "DOCKET_NAME": docket_name}

    trace = scheduled_line(await docket_tasks("trace", env=env))
    sleep = scheduled_line(await docket_tasks("sleep", env=env))

    assert (trace["call"], sleep["call"]) == ("trace('Howdy!')", "sleep(1.0)")
    assert trace["docket"] == sleep["docket"] == docket_name
    await assert_task_scheduled(cli_docket, "trace", args=("Howdy!",), key=trace["key"])


@pytest.mark.parametrize("task", [["trace", "hi"], ["fail", "hi"], ["sleep", "1"]])
async def test_unreachable_redis_is_one_line_and_exit_1(task: list[str]) -> None:
    url = f"redis://:hunter2@127.0.0.1:{closed_port()}/0"

    result = await docket_tasks(*task, "--url", url)

    error = result.error_line()
    assert "cannot reach Redis at redis://:***@127.0.0.1" in error
    assert "hunter2" not in result.stdout + result.stderr


async def test_a_memory_url_is_refused_in_one_line() -> None:
    result = await docket_tasks("trace", "hi", "--url", "memory://app")

    assert result.error_line().startswith("Error: --url memory://app lives inside one process")


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["trace", "hi", "--delay", "soon"], "is not a duration"),
        (["trace", "hi", "--delay", "9000h"], "is too long"),
        (["sleep", "-1"], "-1"),
        (["sleep", "forever"], "is not a valid float"),
    ],
    ids=["not-a-duration", "too-long", "negative-seconds", "not-seconds"],
)
async def test_bad_values_are_usage_errors(arguments: list[str], says: str) -> None:
    result = await docket_tasks(*arguments, "--url", "redis://127.0.0.1:1/0")

    assert result.code == 2, result.stdout + result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr
