"""What `docket worker` says when it cannot start: one line on stderr, exit 1, no traceback."""

import socket
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from docket import Docket, Worker
from docket_cli._run import WorkerSettings, startup_line
from docket_cli.app import app
from typer.testing import CliRunner


def write_module(directory: Path, source: str) -> str:
    name = f"cli_bad_{uuid.uuid4().hex}"
    (directory / f"{name}.py").write_text(source)
    return name


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("source", "attribute", "problem"),
    [
        (None, "tasks", "cannot import module"),
        ("x = 1\n", "tasks", "has no attribute 'tasks'"),
        ("tasks = 42\n", "tasks", "is a int, not a list of async task functions"),
        ("def sync(): pass\ntasks = [sync]\n", "tasks", "sync is not an async function"),
        ("tasks = [\n", "tasks", "failed: SyntaxError"),
        ("1 / 0\n", "tasks", "failed: ZeroDivisionError: division by zero"),
        ("import no_such_dependency_xyz\n", "tasks", "No module named 'no_such_dependency_xyz'"),
    ],
    ids=[
        "missing-module",
        "missing-attribute",
        "not-iterable",
        "not-async",
        "syntax-error",
        "raises-on-import",
        "missing-dependency",
    ],
)
def test_bad_task_collection_exits_1_with_one_line_naming_module_and_attribute(
    source: str | None,
    attribute: str,
    problem: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    module = write_module(tmp_path, source) if source is not None else "cli_missing_module"

    result = CliRunner().invoke(app, ["worker", "--tasks", f"{module}:{attribute}"])

    assert result.exit_code == 1
    error = one_error_line(result.stderr)
    assert f"{module}:{attribute}" in error
    assert problem in error


def test_collection_path_without_a_colon_is_explained() -> None:
    result = CliRunner().invoke(app, ["worker", "--tasks", "my_tasks"])

    assert result.exit_code == 1
    assert "must look like 'module:attribute'" in one_error_line(result.stderr)


def test_unusable_docket_name_exits_1_with_one_line(tasks_module: str) -> None:
    result = CliRunner().invoke(
        app, ["worker", "--tasks", f"{tasks_module}:tasks", "--docket", "{bad}"]
    )

    assert result.exit_code == 1
    assert "docket name '{bad}' cannot be used" in one_error_line(result.stderr)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize("command", [["worker"], ["dead", "ls"]], ids=["worker", "dead-ls"])
def test_unreachable_redis_exits_1_with_one_line_hiding_the_password(
    command: list[str], tasks_module: str
) -> None:
    url = f"redis://:hunter2@127.0.0.1:{closed_port()}/0"
    tasks = ["--tasks", f"{tasks_module}:tasks"] if command == ["worker"] else []

    result = CliRunner().invoke(app, [*command, *tasks, "--url", url])

    assert result.exit_code == 1
    error = one_error_line(result.stderr)
    assert "cannot reach Redis at redis://:***@127.0.0.1" in error
    assert "hunter2" not in result.output


def test_unknown_url_scheme_exits_1_with_one_line(tasks_module: str) -> None:
    result = CliRunner().invoke(
        app, ["worker", "--tasks", f"{tasks_module}:tasks", "--url", "http://example/"]
    )

    assert result.exit_code == 1
    assert "unknown scheme" in one_error_line(result.stderr)


def test_startup_line_names_everything_but_the_password() -> None:
    opened = Docket(name="orders", url="redis://user:hunter2@cache:6380/1")
    worker = Worker(opened, name="w1", concurrency=7, redelivery_timeout=timedelta(seconds=90))
    settings = WorkerSettings(
        docket="orders",
        url=opened.url,
        tasks=[],
        name="w1",
        concurrency=7,
        redelivery_timeout=timedelta(seconds=90),
        shutdown_timeout=timedelta(seconds=30),
        max_deliveries=5,
        until_finished=False,
    )

    line = startup_line(worker, settings)

    assert "worker 'w1' started on docket 'orders' at redis://user:***@cache:6380/1" in line
    assert "concurrency 7, redelivery timeout 90s, shutdown timeout 30s" in line
    assert "tasks: (none)" in line
    assert "hunter2" not in line
