"""Options and their environment variables reach the worker; version and help read well."""

import json
import logging
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import docket
import docket_cli._logging
import pytest
from docket import Docket
from docket_cli import _run
from docket_cli._loops import EventLoop
from docket_cli._run import WorkerSettings
from docket_cli.app import app
from typer.testing import CliRunner

from ..helpers import BUILT_IN_TASKS

Captured = dict[str, Any]


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Captured:
    """Replace the worker run with one that records what it was given and logs one line."""
    seen: Captured = {}

    async def fake_run_worker(settings: WorkerSettings, opened: Docket) -> int:
        seen["settings"] = settings
        seen["docket"] = opened
        logging.getLogger("docket.cli").info("fake worker ran")
        return 0

    monkeypatch.setattr(_run, "run_worker", fake_run_worker)
    return seen


def test_defaults_match_the_original_docket_command(tasks_module: str, captured: Captured) -> None:
    result = CliRunner().invoke(app, ["worker", "--tasks", f"{tasks_module}:tasks"])

    assert result.exit_code == 0, result.output
    assert captured["settings"] == WorkerSettings(
        docket="docket",
        url="redis://localhost:6379/0",
        tasks=[f"{tasks_module}:tasks"],
        name=None,
        concurrency=10,
        redelivery_timeout=timedelta(minutes=5),
        shutdown_timeout=timedelta(seconds=30),
        max_deliveries=5,
        until_finished=False,
        loop=EventLoop.UVLOOP,  # uvloop is installed (a dev dependency)
    )
    assert sorted(set(captured["docket"].tasks) - BUILT_IN_TASKS) == [
        "record",
        "slow",
        "stubborn",
        "which_loop",
    ]


def test_every_option_is_passed_on(tasks_module: str, captured: Captured) -> None:
    result = CliRunner().invoke(
        app,
        [
            "worker",
            "--tasks",
            f"{tasks_module}:tasks",
            "--url",
            "redis://example:6380/2",
            "--docket",
            "orders",
            "--name",
            "worker-7",
            "--concurrency",
            "4",
            "--redelivery-timeout",
            "90s",
            "--shutdown-timeout",
            "00:45",
            "--max-deliveries",
            "3",
            "--until-finished",
            "--loop",
            "asyncio",
        ],
    )

    assert result.exit_code == 0, result.output
    assert captured["settings"] == WorkerSettings(
        docket="orders",
        url="redis://example:6380/2",
        tasks=[f"{tasks_module}:tasks"],
        name="worker-7",
        concurrency=4,
        redelivery_timeout=timedelta(seconds=90),
        shutdown_timeout=timedelta(seconds=45),
        max_deliveries=3,
        until_finished=True,
        loop=EventLoop.ASYNCIO,
    )
    assert (captured["docket"].name, captured["docket"].url) == ("orders", "redis://example:6380/2")


def test_environment_variables_set_every_option(tasks_module: str, captured: Captured) -> None:
    result = CliRunner().invoke(
        app,
        ["worker"],
        env={
            "DOCKET_TASKS": f"{tasks_module}:tasks, {tasks_module}:tasks",
            "DOCKET_URL": "redis://example:6380/2",
            "DOCKET_NAME": "orders",
            "DOCKET_WORKER_NAME": "worker-7",
            "DOCKET_WORKER_CONCURRENCY": "4",
            "DOCKET_WORKER_REDELIVERY_TIMEOUT": "2m",
            "DOCKET_WORKER_SHUTDOWN_TIMEOUT": "1500ms",
            "DOCKET_WORKER_MAX_DELIVERIES": "3",
            "DOCKET_WORKER_LOOP": "ASYNCIO",
            "DOCKET_LOGGING_LEVEL": "warning",
            "DOCKET_LOGGING_FORMAT": "plain",
        },
    )

    assert result.exit_code == 0, result.output
    assert captured["settings"] == WorkerSettings(
        docket="orders",
        url="redis://example:6380/2",
        tasks=[f"{tasks_module}:tasks", f"{tasks_module}:tasks"],
        name="worker-7",
        concurrency=4,
        redelivery_timeout=timedelta(minutes=2),
        shutdown_timeout=timedelta(milliseconds=1500),
        max_deliveries=3,
        until_finished=False,
        loop=EventLoop.ASYNCIO,
    )
    assert "fake worker ran" not in result.stderr  # below the WARNING level


def test_tasks_given_comma_separated_on_the_command_line_are_split(
    tasks_module: str, captured: Captured
) -> None:
    path = f"{tasks_module}:tasks"
    result = CliRunner().invoke(app, ["worker", "--tasks", f"{path},{path}", "--tasks", path])

    assert result.exit_code == 0, result.output
    assert captured["settings"].tasks == [path, path, path]


def test_worker_without_tasks_is_a_usage_error(captured: Captured) -> None:
    result = CliRunner().invoke(app, ["worker"])

    assert result.exit_code == 2
    assert "name at least one task collection (or set DOCKET_TASKS)" in result.stderr
    assert captured == {}


@pytest.mark.parametrize(
    "arguments",
    [
        ["--concurrency", "0"],
        ["--concurrency", "99999999999999999999"],
        ["--max-deliveries", "0"],
        ["--redelivery-timeout", "0"],
        ["--loop", "trio"],
    ],
    ids=lambda arguments: arguments[0],
)
def test_values_the_worker_cannot_use_are_usage_errors(
    arguments: list[str], tasks_module: str, captured: Captured
) -> None:
    result = CliRunner().invoke(app, ["worker", "--tasks", f"{tasks_module}:tasks", *arguments])

    assert result.exit_code == 2
    assert f"Invalid value for '{arguments[0]}'" in result.stderr


def test_plain_logging_goes_to_stderr(tasks_module: str, captured: Captured) -> None:
    result = CliRunner().invoke(
        app, ["worker", "--tasks", f"{tasks_module}:tasks", "--logging-format", "plain"]
    )

    assert result.exit_code == 0, result.output
    assert " INFO - docket.cli - fake worker ran" in result.stderr
    assert result.stdout == ""


def test_json_logging_writes_one_object_per_line(tasks_module: str, captured: Captured) -> None:
    result = CliRunner().invoke(
        app,
        ["worker", "--tasks", f"{tasks_module}:tasks"],
        env={"DOCKET_LOGGING_FORMAT": "JSON", "DOCKET_LOGGING_LEVEL": "DEBUG"},
    )

    assert result.exit_code == 0, result.output
    entries = [json.loads(line) for line in result.stderr.splitlines()]
    assert {"level": "INFO", "logger": "docket.cli", "message": "fake worker ran"}.items() <= (
        entries[-1].items()
    )


def test_rich_logging_is_used_when_asked_for(tasks_module: str, captured: Captured) -> None:
    result = CliRunner().invoke(
        app, ["worker", "--tasks", f"{tasks_module}:tasks", "--logging-format", "rich"]
    )

    assert result.exit_code == 0, result.output
    assert "fake worker ran" in result.stderr
    assert "docket.cli -" not in result.stderr  # not the plain format


def test_unknown_logging_format_is_a_usage_error(tasks_module: str, captured: Captured) -> None:
    result = CliRunner().invoke(
        app, ["worker", "--tasks", f"{tasks_module}:tasks", "--logging-format", "xml"]
    )

    assert result.exit_code == 2
    assert "Invalid value for '--logging-format'" in result.stderr


def test_version_prints_the_docket_version() -> None:
    result = CliRunner().invoke(app, ["version"])

    assert result.exit_code == 0
    assert result.stdout == f"{docket.__version__}\n"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ([], ["worker", "version", "dead", "Run the tasks of a docket until stopped."]),
        (
            ["worker"],
            [
                "--tasks MODULE:ATTR",
                "DOCKET_TASKS",
                "DOCKET_URL",
                "DOCKET_NAME",
                "DOCKET_WORKER_NAME",
                "hostname#pid",
                "DOCKET_WORKER_CONCURRENCY",
                "DOCKET_WORKER_REDELIVERY_TIMEOUT",
                "DOCKET_WORKER_SHUTDOWN_TIMEOUT",
                "DOCKET_WORKER_MAX_DELIVERIES",
                "DOCKET_LOGGING_LEVEL",
                "DOCKET_LOGGING_FORMAT",
                "--loop <uvloop|asyncio>",
                "DOCKET_WORKER_LOOP",
                "uvloop if installed, else asyncio",
                "--until-finished",
                "250ms, 30s, 5m, 1h, mm:ss, hh:mm:ss",
                "SIGHUP",
                "exit 130",
            ],
        ),
        (["version"], ["Print the installed docket version."]),
        (["dead"], ["ls", "requeue", "purge"]),
        (["dead", "ls"], ["--limit", "DOCKET_URL", "DOCKET_NAME"]),
        (["dead", "requeue"], ["KEY", "--all"]),
        (["dead", "purge"], ["--yes", "confirmation"]),
    ],
    ids=["docket", "worker", "version", "dead", "dead-ls", "dead-requeue", "dead-purge"],
)
def test_help_describes_each_command(command: list[str], expected: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])

    assert result.exit_code == 0
    flattened = " ".join(result.stdout.split())
    for text in expected:
        assert text in flattened


def test_rich_format_without_rich_falls_back_to_plain_and_says_so(
    tasks_module: str, captured: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(docket_cli._logging, "rich_available", lambda: False)

    result = CliRunner().invoke(
        app, ["worker", "--tasks", f"{tasks_module}:tasks", "--logging-format", "rich"]
    )

    assert result.exit_code == 0, result.output
    assert "WARNING - docket.cli - rich logging needs the rich package" in result.stderr
    assert "INFO - docket.cli - fake worker ran" in result.stderr


def test_task_modules_in_the_current_directory_are_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, captured: Captured
) -> None:
    module = f"cli_cwd_tasks_{uuid.uuid4().hex}"
    (tmp_path / f"{module}.py").write_text("async def hello() -> None: ...\n\ntasks = [hello]\n")
    monkeypatch.chdir(tmp_path)
    sys.path[:] = [path for path in sys.path if path not in ("", ".", str(tmp_path))]

    result = CliRunner().invoke(app, ["worker", "--tasks", f"{module}:tasks"])

    assert result.exit_code == 0, result.output
    assert sorted(set(captured["docket"].tasks) - BUILT_IN_TASKS) == ["hello"]
