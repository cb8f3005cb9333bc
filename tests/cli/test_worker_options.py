"""`docket worker --fallback-task`, `--dependencies` and `--[no-]schedule-automatic-tasks`: real
worker processes use them; a path that does not load is one line on stderr and exit 1."""

import signal
import uuid
from pathlib import Path

import pytest
from docket import Docket
from docket_cli.app import app
from typer.testing import CliRunner

from ..helpers import wait_until
from .conftest import SpawnWorker, markers

OPTIONS_SOURCE = '''\
"""What the --fallback-task, --dependencies and automatic-task tests give `docket worker`."""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from docket import CurrentExecution, Depends, Execution, Perpetual, Retry

OUT = Path(os.environ.get("CLI_TEST_OUT", "."))


def mark(name: str, what: str, text: str = "") -> None:
    (OUT / f"{name}.{what}.{os.getpid()}").write_text(text)


async def fallback(*args: Any, execution: Execution = CurrentExecution(), **kwargs: Any) -> None:
    mark(args[0], f"fallback-{execution.function_name}", repr(kwargs))


def stamp() -> str:
    mark("dependency", "called")
    return "stamped"


dependencies = {"stamp": Depends(stamp)}


async def tick(
    perpetual: Perpetual = Perpetual(every=timedelta(milliseconds=50), automatic=True),
) -> None:
    mark("tick", "ran")


automatic = [tick]

def not_async() -> None: ...

a_number = 42
not_markers = {"db": "postgres://"}
a_policy = [Retry(attempts=3)]
'''


@pytest.fixture
def options_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module in tmp_path (on sys.path, and on PYTHONPATH of spawned workers)."""
    name = f"cli_options_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text(OPTIONS_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def startup_line(log: str) -> str:
    [line] = [line for line in log.splitlines() if "started on docket" in line]
    return line


async def test_a_fallback_task_runs_messages_of_tasks_no_worker_registered(
    cli_docket: Docket, spawn_worker: SpawnWorker, tmp_path: Path, options_module: str
) -> None:
    await cli_docket.add("retired_long_ago")("job", flag=True)
    await cli_docket.add("record")("known")

    worker = await spawn_worker("--until-finished", "--fallback-task", f"{options_module}:fallback")

    assert await worker.wait_for_exit() == 0, worker.log()
    assert markers(tmp_path, "job", "fallback-retired_long_ago") == [worker.pid]
    assert (tmp_path / f"job.fallback-retired_long_ago.{worker.pid}").read_text() == (
        "{'flag': True}"
    )
    assert markers(tmp_path, "known", "done") == [worker.pid]  # registered: not the fallback
    assert f"; fallback task: {options_module}:fallback" in startup_line(worker.log())
    assert await cli_docket.dead_letters() == []


async def test_dependencies_are_resolved_around_every_task(
    cli_docket: Docket, spawn_worker: SpawnWorker, tmp_path: Path, options_module: str
) -> None:
    await cli_docket.add("record")("job")

    worker = await spawn_worker(
        "--until-finished", "--dependencies", f"{options_module}:dependencies"
    )

    assert await worker.wait_for_exit() == 0, worker.log()
    assert markers(tmp_path, "job", "done") == [worker.pid]
    assert markers(tmp_path, "dependency", "called") == [worker.pid]
    assert f"; dependencies: {options_module}:dependencies" in startup_line(worker.log())


async def test_automatic_tasks_are_scheduled_by_default(
    spawn_worker: SpawnWorker, tmp_path: Path, options_module: str
) -> None:
    worker = await spawn_worker("--tasks", f"{options_module}:automatic")

    await wait_until(lambda: markers(tmp_path, "tick", "ran") != [], what="the automatic task")
    worker.send(signal.SIGTERM)
    assert await worker.wait_for_exit() == 0, worker.log()
    assert "automatic tasks" not in startup_line(worker.log())


@pytest.mark.parametrize(
    ("option", "env"),
    [
        ("--no-schedule-automatic-tasks", {}),
        (None, {"DOCKET_WORKER_SCHEDULE_AUTOMATIC_TASKS": "false"}),
    ],
    ids=["option", "environment"],
)
async def test_no_schedule_automatic_tasks_leaves_them_unscheduled(
    option: str | None,
    env: dict[str, str],
    spawn_worker: SpawnWorker,
    tmp_path: Path,
    options_module: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)  # the spawned worker inherits the environment
    options = ["--tasks", f"{options_module}:automatic", "--until-finished"]

    worker = await spawn_worker(*options, *([option] if option else []))

    # Nothing is scheduled, so the worker finishes at once instead of running the chain.
    assert await worker.wait_for_exit() == 0, worker.log()
    assert markers(tmp_path, "tick", "ran") == []
    assert "; automatic tasks: not scheduled" in startup_line(worker.log())


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("option", "attribute", "says"),
    [
        ("--fallback-task", "fallback", "must look like 'module:attribute'"),
        ("--fallback-task", "no_such_thing", "has no attribute 'no_such_thing'"),
        ("--fallback-task", "not_async", "not_async is not an async function"),
        ("--fallback-task", "a_number", "42 is not a task"),
        ("--dependencies", "dependencies", "must look like 'module:attribute'"),
        ("--dependencies", "no_such_thing", "has no attribute 'no_such_thing'"),
        ("--dependencies", "a_number", "takes a mapping of parameter names to markers"),
        ("--dependencies", "not_markers", "which is not a docket marker"),
        ("--dependencies", "a_policy", "a policy of one task"),
    ],
    ids=[
        "fallback-no-colon",
        "fallback-missing",
        "fallback-not-async",
        "fallback-not-callable",
        "dependencies-no-colon",
        "dependencies-missing",
        "dependencies-not-a-collection",
        "dependencies-not-markers",
        "dependencies-a-retry",
    ],
)
def test_a_bad_path_or_object_exits_1_with_one_line_naming_it(
    option: str, attribute: str, says: str, tasks_module: str, options_module: str
) -> None:
    no_colon = "module:attribute" in says
    path = options_module if no_colon else f"{options_module}:{attribute}"

    result = CliRunner().invoke(
        app, ["worker", "--tasks", f"{tasks_module}:tasks", option, path, "--url", "redis://x:1/0"]
    )

    assert result.exit_code == 1, result.output
    error = one_error_line(result.stderr)
    assert error.startswith(f"Error: {option} {path!r}")
    assert says in error
    assert "Redis" not in error  # checked before anything connects


def test_a_module_that_does_not_import_exits_1_with_one_line(tasks_module: str) -> None:
    result = CliRunner().invoke(
        app, ["worker", "--tasks", f"{tasks_module}:tasks", "--fallback-task", "no_such_mod:f"]
    )

    assert result.exit_code == 1
    assert "cannot import module 'no_such_mod'" in one_error_line(result.stderr)
