"""`docket show KEY` and `docket watch KEY` as real processes against the suite's Redis, with a
worker in the test process: the record printed once (lines or JSON), followed live as plain
lines, and drawn by rich on a real pseudo-terminal; an unknown key is one line and exit 3."""

import asyncio
import contextlib
import json
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from docket import Docket, Execution, ExecutionProgress, Progress, Worker
from docket_cli._live import clock
from docket_cli._showing import call_text, progress_text
from docket_cli._watching import Pace

from ..helpers import wait_until
from .commands import docket_command
from .conftest import DOCKET_SCRIPT
from .terminal import Terminal
from .test_startup_imports import run_docket
from .test_tasks_command import closed_port


class Opaque:
    """Pickled by reference to this test module, which a `docket` process cannot import."""


@pytest.fixture
def where(redis_url: str, docket_name: str) -> list[str]:
    return ["--url", redis_url, "--docket", docket_name]


def fields(stdout: str) -> dict[str, str]:
    """`docket show`'s lines as label → value; the values start in one column."""
    lines = stdout.splitlines()
    columns = {len(line) - len(line.split(":", 1)[1].lstrip()) for line in lines}
    assert len(columns) == 1, stdout
    return {label: value.strip() for label, value in (line.split(":", 1) for line in lines)}


def iso_ms(moment: datetime) -> str:
    """2025-01-02T03:04:05.678Z, as the commands write times."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Gate:
    """A task that counts 1 of 3, waits until the test opens the gate, counts to 3, returns 42."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()

    async def counted(self, progress: ExecutionProgress = Progress()) -> int:
        await progress.set_total(3)
        await progress.set_message("counting")
        await progress.increment()
        await self.opened.wait()
        await progress.increment(2)
        return 42


async def answer(n: int, flag: bool = False, progress: ExecutionProgress = Progress()) -> int:
    await progress.set_total(n)
    await progress.increment(n)
    return 42


async def boom() -> None:
    raise ValueError("boom")


async def opaque(value: Opaque) -> Opaque:
    return value


@pytest.fixture
def run_to_end(cli_docket: Docket) -> Callable[[Execution], Awaitable[None]]:
    """Run an execution on a worker in this process until it finished (boom's ValueError is
    what it is meant to raise)."""

    async def run(execution: Execution) -> None:
        async with Worker(cli_docket).running():
            with contextlib.suppress(ValueError):
                await execution.get_result(timeout=timedelta(seconds=10))

    return run


# -- show ---------------------------------------------------------------------------------------


async def test_show_of_a_scheduled_task_says_when_it_is_due(
    cli_docket: Docket, where: list[str], tmp_path: Path
) -> None:
    cli_docket.register(answer)
    when = datetime.now(UTC) + timedelta(hours=1)
    execution = await cli_docket.add(answer, when=when, key="later")(5, flag=True)

    result = await docket_command("show", "later", *where, cwd=tmp_path)

    assert (result.code, result.stderr) == (0, ""), result.stderr
    shown = fields(result.stdout)
    assert list(shown) == [
        "key",
        "call",
        "state",
        "when",
        "attempt",
        "worker",
        "started_at",
        "completed_at",
        "duration",
    ]
    assert shown["call"] == "answer(5, flag=True)"
    assert (shown["state"], shown["attempt"], shown["worker"]) == ("scheduled", "1", "-")
    assert shown["when"] == iso_ms(execution.when)
    assert await cli_docket.cancel("later")


async def test_show_of_a_completed_task_prints_its_result_in_lines_and_json(
    cli_docket: Docket,
    where: list[str],
    tmp_path: Path,
    run_to_end: Callable[[Execution], Awaitable[None]],
) -> None:
    cli_docket.register(answer)
    execution = await cli_docket.add(answer, key="answered")(3)
    await run_to_end(execution)

    lines = await docket_command("show", "answered", *where, cwd=tmp_path)
    as_json = await docket_command("show", "answered", "--json", *where, cwd=tmp_path)

    assert (lines.code, lines.stderr) == (0, ""), lines.stderr
    shown = fields(lines.stdout)
    assert (shown["state"], shown["progress"], shown["result"]) == ("completed", "3/3 (100%)", "42")
    assert re.fullmatch(r"\d+\.\d{3}s", shown["duration"]), shown["duration"]
    assert shown["worker"] != "-"
    assert as_json.code == 0, as_json.stderr
    record = json.loads(as_json.stdout)
    assert record == {
        "key": "answered",
        "function": "answer",
        "args": ["3"],
        "kwargs": {},
        "state": "completed",
        "when": shown["when"],
        "attempt": 1,
        "worker": shown["worker"],
        "started_at": shown["started_at"],
        "completed_at": shown["completed_at"],
        "error": None,
        "progress": {"current": 3, "total": 3, "message": None},
        "result": "42",
    }


async def test_show_of_a_failed_task_shows_its_error(
    cli_docket: Docket,
    where: list[str],
    tmp_path: Path,
    run_to_end: Callable[[Execution], Awaitable[None]],
) -> None:
    cli_docket.register(boom)
    await run_to_end(await cli_docket.add(boom, key="failing")())

    lines = await docket_command("show", "failing", *where, cwd=tmp_path)
    as_json = await docket_command("show", "failing", "--json", *where, cwd=tmp_path)

    shown = fields(lines.stdout)
    assert (shown["state"], shown["error"]) == ("failed", "ValueError: boom")
    assert "result" not in shown
    record = json.loads(as_json.stdout)
    assert (record["state"], record["error"], record["result"]) == (
        "failed",
        "ValueError: boom",
        None,
    )


async def test_arguments_and_result_this_process_cannot_unpickle_are_said_to_be(
    cli_docket: Docket,
    where: list[str],
    tmp_path: Path,
    run_to_end: Callable[[Execution], Awaitable[None]],
) -> None:
    cli_docket.register(opaque)
    await run_to_end(await cli_docket.add(opaque, key="opaque")(Opaque()))

    lines = await docket_command("show", "opaque", *where, cwd=tmp_path)
    as_json = await docket_command("show", "opaque", "--json", *where, cwd=tmp_path)

    shown = fields(lines.stdout)
    assert shown["call"] == "opaque (arguments not decodable here)"
    assert (shown["state"], shown["result"]) == ("completed", "(result not decodable here)")
    record = json.loads(as_json.stdout)
    assert (record["args"], record["kwargs"], record["result"]) == (None, None, None)


async def test_show_of_a_running_task_shows_its_worker_progress_and_time_so_far(
    cli_docket: Docket, where: list[str], tmp_path: Path
) -> None:
    gate = Gate()
    cli_docket.register(gate.counted)
    execution = await cli_docket.add(gate.counted, key="busy")()
    async with Worker(cli_docket, name="busy-worker").running():

        async def counted_one() -> bool:
            await execution.sync()
            return execution.progress.current == 1

        await wait_until(counted_one, what="the task to count 1 of 3")
        result = await docket_command("show", "busy", *where, cwd=tmp_path)
        gate.opened.set()

    shown = fields(result.stdout)
    assert (shown["state"], shown["worker"]) == ("running", "busy-worker")
    assert shown["progress"] == "1/3 (33%) counting"
    assert re.fullmatch(r"\d+\.\d{3}s so far", shown["duration"]), shown["duration"]
    assert shown["completed_at"] == "-"


@pytest.mark.parametrize("command", ["show", "watch"])
async def test_an_unknown_key_is_one_line_and_exit_3(
    command: str, where: list[str], docket_name: str, tmp_path: Path
) -> None:
    result = await docket_command(command, "no-such-key", *where, cwd=tmp_path)

    assert (result.code, result.stdout) == (3, "")
    assert result.stderr == (
        f"no execution with key 'no-such-key' on docket {docket_name!r} "
        "(finished executions are kept for execution_ttl)\n"
    )


@pytest.mark.parametrize("command", ["show", "watch"])
async def test_an_unreachable_redis_is_one_line_and_exit_1(command: str, tmp_path: Path) -> None:
    url = f"redis://:hunter2@127.0.0.1:{closed_port()}/0"

    result = await docket_command(command, "some-key", "--url", url, cwd=tmp_path)

    assert (result.code, result.stdout) == (1, "")
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: cannot reach Redis at redis://:***@127.0.0.1"), line
    assert "hunter2" not in result.stderr


# -- watch, plain -------------------------------------------------------------------------------


@pytest.fixture
async def watcher(
    where: list[str], tmp_path: Path
) -> AsyncIterator[Callable[[str], Awaitable[asyncio.subprocess.Process]]]:
    started: list[asyncio.subprocess.Process] = []

    async def start(key: str) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            str(DOCKET_SCRIPT),
            "watch",
            key,
            *where,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=tmp_path,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def next_line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=10)
    assert line, "watch ended early"
    return line.decode().rstrip("\n")


async def test_watch_prints_a_line_per_change_then_the_result(
    cli_docket: Docket, watcher: Callable[[str], Awaitable[asyncio.subprocess.Process]]
) -> None:
    gate = Gate()
    cli_docket.register(gate.counted)
    await cli_docket.add(gate.counted, key="counted")()
    process = await watcher("counted")

    assert await next_line(process) == "state queued"
    async with Worker(cli_docket, name="test-worker").running():
        assert await next_line(process) == "state running worker=test-worker"
        while (line := await next_line(process)) != "progress 1/3 (33%) counting":
            assert line.startswith("progress 0/3 "), line  # the total, the message, then 1
        gate.opened.set()
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=10)

    *progress, last = stdout.decode().splitlines()
    assert progress[-1] == "progress 3/3 (100%) counting"
    assert re.fullmatch(r"completed in \d+\.\d{3}s result=42", last), last
    assert (process.returncode, stderr) == (0, b"")


async def test_watch_of_a_failing_task_says_so_and_exits_1(
    cli_docket: Docket, watcher: Callable[[str], Awaitable[asyncio.subprocess.Process]]
) -> None:
    cli_docket.register(boom)
    await cli_docket.add(boom, key="failing")()
    process = await watcher("failing")
    assert await next_line(process) == "state queued"

    async with Worker(cli_docket).running():
        stdout, _ = await asyncio.wait_for(process.communicate(), timeout=10)

    assert stdout.decode().splitlines()[-1] == "failed: ValueError: boom"
    assert process.returncode == 1


async def test_watch_of_a_cancelled_task_says_so_and_exits_1(
    cli_docket: Docket, watcher: Callable[[str], Awaitable[asyncio.subprocess.Process]]
) -> None:
    cli_docket.register(answer)
    when = datetime.now(UTC) + timedelta(hours=1)
    execution = await cli_docket.add(answer, when=when, key="doomed")(1)
    process = await watcher("doomed")
    assert await next_line(process) == f"state scheduled when={iso_ms(execution.when)}"

    assert await cli_docket.cancel("doomed")
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=10)

    assert (stdout.decode(), process.returncode) == ("cancelled\n", 1)


# -- watch, on a terminal -----------------------------------------------------------------------


async def test_watch_on_a_terminal_draws_state_progress_and_result(
    cli_docket: Docket, where: list[str], tmp_path: Path
) -> None:
    gate = Gate()
    cli_docket.register(gate.counted)
    await cli_docket.add(gate.counted, key="drawn")()
    terminal = Terminal(columns=100, lines=30)
    await terminal.start(
        [str(DOCKET_SCRIPT), "watch", "drawn", *where], env=dict(os.environ), cwd=str(tmp_path)
    )
    try:
        await terminal.wait_for(lambda screen: "queued" in screen)
        async with Worker(cli_docket, name="pty-worker").running():
            await terminal.wait_for(lambda screen: "1/3 (33%)" in screen and "running" in screen)
            assert "pty-worker" in terminal.text
            gate.opened.set()
            code, stderr = await terminal.wait_for_exit()
    finally:
        await terminal.close()

    screen = terminal.text
    assert (code, stderr) == (0, ""), screen
    rows = {row.split()[1]: row for row in screen.splitlines() if len(row.split()) > 2}
    assert "completed" in rows["state"], screen
    assert "3/3 (100%)  counting" in rows["progress"], screen
    assert rows["result"].split()[2] == "42", screen
    assert "pty-worker" in rows["worker"], screen
    assert re.search(r"\d+\.\d{3}s", rows["duration"]), screen


# -- the pieces -----------------------------------------------------------------------------------


def test_pace_is_increments_per_second_and_eta_what_is_left_at_that_rate() -> None:
    pace = Pace()
    pace.add(0, at=100.0)
    assert (pace.rate, pace.eta(0, 10)) == (None, None)

    pace.add(4, at=102.0)
    assert (pace.rate, pace.eta(4, 10)) == (2.0, 3.0)

    pace.add(1, at=103.0)  # counted again from lower down: starts over
    assert pace.rate is None


def test_texts_of_a_call_progress_and_time_left() -> None:
    assert call_text("add", (1, "a"), {"flag": True}, decoded=True) == "add(1, 'a', flag=True)"
    assert call_text("add", (), {}, decoded=False) == "add (arguments not decodable here)"
    assert progress_text(40, 100, "copying") == "40/100 (40%) copying"
    assert progress_text(0, 0, None) == "0/0"
    assert (clock(5), clock(65.4), clock(3725)) == ("0:05", "1:05", "1:02:05")


@pytest.mark.parametrize("command", ["show", "watch"])
def test_help_loads_no_docket_redis_or_rich(command: str) -> None:
    run = run_docket(command, "--help")

    assert (run.code, run.loaded) == (0, [])
    assert run.stdout.startswith(f"Usage: docket {command} [OPTIONS] {{KEY}}")
    assert "Exit status:" in run.stdout
