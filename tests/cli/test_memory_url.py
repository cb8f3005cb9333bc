"""A memory:// docket lives inside one process, so every `docket` command refuses one: one line
on stderr, exit 1, before it loads tasks, asks for confirmation or opens anything."""

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
from docket_cli.app import app
from typer.testing import CliRunner

from .conftest import DOCKET_SCRIPT

COMMANDS = [
    ["worker", "--tasks", "no_such_module_xyz:tasks"],  # refused before the tasks are loaded
    ["worker"],  # refused before the missing --tasks is a usage error
    ["dead", "ls"],
    ["dead", "requeue", "--all"],
    ["dead", "requeue", "some-key"],
    ["dead", "purge"],  # refused before it asks for confirmation
    ["dead", "purge", "--yes"],
]
IDS = [
    "worker",
    "worker-without-tasks",
    "dead-ls",
    "dead-requeue-all",
    "dead-requeue-key",
    "dead-purge",
    "dead-purge-yes",
]

EXPLANATION = (
    "lives inside one process: a `docket` command runs in its own process and cannot see the "
    "tasks of your app's memory:// docket. Use a redis:// URL (or run the worker in your app: "
    "`async with Worker(docket).running():`)."
)


def the_one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_memory_url_option_is_refused_with_one_line(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--url", "memory://jobs"])

    assert result.exit_code == 1
    assert the_one_line(result.stderr) == f"Error: --url memory://jobs {EXPLANATION}"
    assert result.stdout == ""  # no prompt, no listing


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_memory_url_from_the_environment_is_refused_with_one_line(command: list[str]) -> None:
    result = CliRunner().invoke(app, command, env={"DOCKET_URL": "memory://x"})

    assert result.exit_code == 1
    assert the_one_line(result.stderr) == f"Error: DOCKET_URL=memory://x {EXPLANATION}"
    assert result.stdout == ""


def commands_taking_url() -> list[list[str]]:
    """Every command (as its words after `docket`) that has a --url option."""
    found: list[list[str]] = []

    def visit(command: Any, words: list[str]) -> None:
        if any("--url" in getattr(param, "opts", ()) for param in command.params):
            found.append(words)
        for name, sub in getattr(command, "commands", {}).items():
            visit(sub, [*words, name])

    visit(typer.main.get_command(app), [])
    return found


def test_every_command_taking_a_url_refuses_memory() -> None:
    commands = commands_taking_url()

    # worker, dead ls|requeue|purge, tasks trace|fail|sleep, show, watch, strike, restore, strikes,
    # workers ls|for-task, snapshot, clear, dashboard
    assert len(commands) == 17
    for command in commands:
        result = CliRunner().invoke(app, [*command, "--url", "memory://jobs"])
        assert (result.exit_code, the_one_line(result.stderr)) == (
            1,
            f"Error: --url memory://jobs {EXPLANATION}",
        ), command


@pytest.mark.parametrize("url", ["MEMORY://jobs", "Memory://", "memory://:secret@jobs"])
def test_memory_url_is_refused_however_it_is_written(url: str) -> None:
    result = CliRunner().invoke(app, ["dead", "ls", "--url", url])

    assert result.exit_code == 1
    line = the_one_line(result.stderr)
    assert line.endswith(EXPLANATION)
    assert "secret" not in line  # a password in the URL is hidden, as everywhere


def test_a_url_merely_mentioning_memory_is_not_refused() -> None:
    result = CliRunner().invoke(
        app, ["worker", "--tasks", "no_such_module_xyz:tasks", "--url", "redis://memory:6379/0"]
    )

    assert result.exit_code == 1
    assert "cannot import module" in the_one_line(result.stderr)  # it got past the URL


@pytest.mark.parametrize(
    "how",
    [["--url", "memory://jobs"], []],
    ids=["option", "environment"],
)
def test_docket_worker_process_on_memory_url_exits_1_with_one_line(
    how: list[str], tmp_path: Path
) -> None:
    result = subprocess.run(
        [str(DOCKET_SCRIPT), "worker", "--tasks", "my_tasks:tasks", *how],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "DOCKET_URL": "memory://jobs"},
    )

    assert result.returncode == 1
    source = "--url " if how else "DOCKET_URL="
    assert the_one_line(result.stderr) == f"Error: {source}memory://jobs {EXPLANATION}"
    assert result.stdout == ""
