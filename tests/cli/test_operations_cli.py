"""`docket workers ls | for-task`, `docket snapshot` and `docket clear` as real processes
against the suite's Redis, with workers running: read as plain lines, as JSON, and as the rich
tables a person sees on a terminal 100 columns wide."""

import json
import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from docket import Docket, Worker

from ..helpers import wait_until
from ..operations.conftest import Blocker
from .commands import docket_command
from .conftest import DOCKET_SCRIPT, SpawnWorker
from .terminal import Terminal
from .test_tasks_command import closed_port


@pytest.fixture
async def busy(cli_docket: Docket) -> AsyncIterator[Blocker]:
    """A worker "cli-worker" (concurrency 1) running one blocked task, key "run-1"; one more
    queued ("queued-2") and one scheduled an hour from now ("later-3")."""
    blocker = Blocker()
    cli_docket.register(blocker.blocked)
    await cli_docket.add(blocker.blocked, key="run-1")(1)
    async with Worker(cli_docket, name="cli-worker", concurrency=1).running():
        await wait_until(lambda: blocker.started == 1, what="the task to start")
        await cli_docket.add(blocker.blocked, key="queued-2")(2)
        later = datetime.now(UTC) + timedelta(hours=1)
        await cli_docket.add(blocker.blocked, when=later, key="later-3")(3)
        yield blocker
        blocker.release.set()


async def on_terminal(*arguments: str, cwd: Path) -> str:
    """What `docket ARGUMENTS` draws on a 100-column terminal (it must exit 0, stderr empty)."""
    terminal = Terminal(columns=100, lines=60)
    await terminal.start([str(DOCKET_SCRIPT), *arguments], env=dict(os.environ), cwd=str(cwd))
    try:
        code, stderr = await terminal.wait_for_exit()
    finally:
        await terminal.close()
    assert (code, stderr) == (0, ""), terminal.text
    return terminal.text


def cells(screen: str, first: str) -> list[str]:
    """The cells of the table row whose first cell is `first`."""
    for line in screen.splitlines():
        parts = [part.strip() for part in line.strip().strip("│").split("│")]
        if len(parts) > 1 and parts[0] == first:
            return parts
    raise AssertionError(f"no row {first!r} on the screen:\n{screen}")


async def test_workers_ls_lists_a_live_worker_as_json_lines_and_a_table(
    cli_docket: Docket, busy: Blocker, tmp_path: Path
) -> None:
    as_json = await docket_command("workers", "ls", "--json", docket=cli_docket, cwd=tmp_path)
    plain = await docket_command("workers", "ls", docket=cli_docket, cwd=tmp_path)
    screen = await on_terminal("workers", "ls", *where(cli_docket), cwd=tmp_path)

    [listed] = json.loads(as_json.stdout)
    assert (listed["name"], listed["pid"], listed["concurrency"]) == ("cli-worker", os.getpid(), 1)
    assert listed["running"] in (0, 1)  # the beat may predate the start
    assert "blocked" in listed["tasks"]
    assert listed["last_seen"].endswith("Z")
    lines = plain.stdout.splitlines()
    assert lines[-1] == f"1 worker(s) on docket {cli_docket.name!r}"
    assert lines[0].startswith("cli-worker  host=")
    assert f"pid={os.getpid()}" in lines[0]
    assert f"1 worker(s) on docket {cli_docket.name!r}" in screen
    row = cells(screen, "cli-worker")
    assert row[2] == str(os.getpid()), screen
    assert row[4].endswith("ago"), screen


async def test_workers_for_task_lists_only_those_that_can_run_it(
    cli_docket: Docket, busy: Blocker, tmp_path: Path
) -> None:
    can = await docket_command("workers", "for-task", "blocked", docket=cli_docket, cwd=tmp_path)
    cannot = await docket_command(
        "workers", "for-task", "nobody_runs_this", "--json", docket=cli_docket, cwd=tmp_path
    )

    assert can.stdout.splitlines()[0].startswith("cli-worker  ")
    assert can.stdout.splitlines()[-1].endswith("can run 'blocked'")
    assert (cannot.code, json.loads(cannot.stdout)) == (0, [])


async def test_snapshot_shows_counts_running_future_and_workers(
    cli_docket: Docket, busy: Blocker, tmp_path: Path
) -> None:
    result = await docket_command("snapshot", "--json", "--stats", docket=cli_docket, cwd=tmp_path)
    screen = await on_terminal("snapshot", "--stats", *where(cli_docket), cwd=tmp_path)

    document = json.loads(result.stdout)
    assert document["counts"] == {
        "due": 0,
        "queued": 1,
        "running": 1,
        "scheduled": 1,
        "held": 0,
        "dead_letters": 0,
        "workers": 1,
    }
    [running] = document["running"]
    assert (running["key"], running["worker"]) == ("run-1", "cli-worker")
    assert [(f["key"], f["state"]) for f in document["future"]] == [
        ("queued-2", "queued"),
        ("later-3", "scheduled"),
    ]
    assert document["stats"] == {"blocked": {"running": 1, "queued": 1, "scheduled": 1, "total": 3}}
    assert document["complete"] is True

    assert cells(screen, "queued")[1:] == ["1", "waiting for a worker"], screen
    assert cells(screen, "running")[1] == "1", screen
    assert cells(screen, "scheduled")[1] == "1", screen
    assert cells(screen, "scheduled")[2].startswith("next due in 59m"), screen
    key, function, worker, running_for = cells(screen, "run-1")
    assert (key, function, worker) == ("run-1", "blocked", "cli-worker"), screen
    assert running_for.endswith("s"), screen
    assert cells(screen, "queued-2")[2] == "queued", screen
    assert cells(screen, "later-3")[2] == "scheduled", screen
    assert cells(screen, "blocked")[1:] == ["1", "1", "1", "3"], screen  # the --stats table
    assert cells(screen, "cli-worker")[5] in ("0/1", "1/1"), screen


async def test_snapshot_without_a_terminal_prints_plain_lines(
    cli_docket: Docket, busy: Blocker, tmp_path: Path
) -> None:
    result = await docket_command("snapshot", "--limit", "1", docket=cli_docket, cwd=tmp_path)

    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Docket {cli_docket.name!r} at ")
    assert "queued: 1 (waiting for a worker)" in lines
    assert "running: 1" in lines
    assert any(line.startswith("  run-1 | blocked | cli-worker | ") for line in lines)
    assert lines[-1].startswith("listed 1 of 2 future and 1 of 1 running")


async def test_clear_asks_for_yes_then_leaves_the_running_task(
    cli_docket: Docket, busy: Blocker, tmp_path: Path
) -> None:
    refused = await docket_command("clear", docket=cli_docket, cwd=tmp_path)
    assert "without --yes" in refused.error_line()
    assert (await cli_docket.snapshot()).total_tasks == 3

    cleared = await docket_command("clear", "--yes", docket=cli_docket, cwd=tmp_path)

    assert (cleared.code, cleared.stdout) == (
        0,
        f"Cleared 2 tasks from docket {cli_docket.name!r}\n",
    )
    taken = await cli_docket.snapshot()
    assert (taken.total_tasks, [run.key for run in taken.running]) == (1, ["run-1"])


async def test_a_worker_process_is_listed_and_gone_once_it_stops(
    cli_docket: Docket, spawn_worker: SpawnWorker, tmp_path: Path
) -> None:
    process = await spawn_worker("--name", "spawned", "--concurrency", "4")

    async def listed() -> bool:
        return [info.name for info in await cli_docket.workers()] == ["spawned"]

    await wait_until(listed, within=20, what="the worker process to be listed")
    result = await docket_command("workers", "ls", "--json", docket=cli_docket, cwd=tmp_path)
    [shown] = json.loads(result.stdout)
    assert (shown["pid"], shown["concurrency"]) == (process.pid, 4)
    assert {"record", "slow"} <= set(shown["tasks"])

    process.send(signal.SIGTERM)
    assert await process.wait_for_exit() == 0
    assert list(await cli_docket.workers()) == []  # a clean stop removes it at once


@pytest.mark.parametrize("command", [["workers", "ls"], ["snapshot"], ["clear", "--yes"]])
async def test_an_unreachable_redis_is_one_line_and_exit_1(
    command: list[str], tmp_path: Path
) -> None:
    url = f"redis://:hunter2@127.0.0.1:{closed_port()}/0"

    result = await docket_command(*command, "--url", url, cwd=tmp_path)

    assert result.error_line().startswith("Error: cannot reach Redis at redis://:***@127.0.0.1")
    assert "hunter2" not in result.stdout + result.stderr


def where(docket: Docket) -> list[str]:
    return ["--url", docket.url, "--docket", docket.name]
