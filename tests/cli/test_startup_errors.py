"""What `docket worker` says when it cannot start: one line on stderr, exit 1, no traceback."""

import socket
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from docket import Docket, Worker
from docket_cli._loops import EventLoop
from docket_cli._run import WorkerSettings, startup_line
from docket_cli.app import app
from typer.testing import CliRunner

from .conftest import DOCKET_SCRIPT, SpawnWorker
from .faults import DropOnCommand, silent_port

QUICK_TIMEOUTS = "socket_connect_timeout=1&socket_timeout=1"


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


def worker_at(url: str, tasks_module: str) -> list[str]:
    return ["worker", "--tasks", f"{tasks_module}:tasks", "--url", url, "--until-finished"]


def test_server_that_never_answers_exits_1_with_one_line(tasks_module: str) -> None:
    with silent_port() as port:
        url = f"redis://127.0.0.1:{port}/0?{QUICK_TIMEOUTS}"
        result = CliRunner().invoke(app, worker_at(url, tasks_module))

    assert result.exit_code == 1
    assert f"cannot reach Redis at redis://127.0.0.1:{port}/0" in one_error_line(result.stderr)


def test_server_that_never_answers_fails_within_seconds_by_default(
    tasks_module: str, tmp_path: Path
) -> None:
    with silent_port() as port:
        started = time.monotonic()
        result = subprocess.run(
            [str(DOCKET_SCRIPT), *worker_at(f"redis://127.0.0.1:{port}/0", tasks_module)],
            cwd=tmp_path,  # where the tasks module is
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )

    assert result.returncode == 1, result.stderr
    assert f"cannot reach Redis at redis://127.0.0.1:{port}/0" in one_error_line(result.stderr)
    assert time.monotonic() - started < 15


def test_tls_to_a_plain_redis_port_exits_1_with_one_line(tasks_module: str, redis_url: str) -> None:
    url = f"{redis_url.replace('redis://', 'rediss://')}?{QUICK_TIMEOUTS}"

    result = CliRunner().invoke(app, worker_at(url, tasks_module))

    assert result.exit_code == 1
    assert "cannot reach Redis at rediss://127.0.0.1" in one_error_line(result.stderr)


def test_database_index_the_server_lacks_exits_1_with_one_line(
    tasks_module: str, redis_url: str
) -> None:
    url = redis_url.rpartition("/")[0] + "/99"

    result = CliRunner().invoke(app, worker_at(url, tasks_module))

    assert result.exit_code == 1
    error = one_error_line(result.stderr)
    assert f"at {url} " in error
    assert "DB index is out of range" in error


async def test_redis_going_away_before_the_consumer_group_is_made_exits_1_with_one_line(
    spawn_worker: SpawnWorker, redis_url: str
) -> None:
    port = int(redis_url.rpartition(":")[2].partition("/")[0])
    async with DropOnCommand(port, b"XGROUP") as proxy:
        worker = await spawn_worker("--url", proxy.url, "--until-finished")

        assert await worker.wait_for_exit() == 1, worker.log()
        assert proxy.dropped  # the ping went through; the group creation did not

    error = one_error_line(worker.log())
    assert f"redis://127.0.0.1:{proxy.port}/0" in error


def test_url_option_redis_py_does_not_take_exits_1_with_one_line(
    tasks_module: str, redis_url: str
) -> None:
    result = CliRunner().invoke(app, worker_at(f"{redis_url}?socket_timout=5", tasks_module))

    assert result.exit_code == 1
    assert "has an option redis-py does not take: 'socket_timout'" in (
        one_error_line(result.stderr)
    )


def test_startup_line_names_everything_but_the_password() -> None:
    opened = Docket(name="orders", url="redis://user:hunter2@cache:6380/1?ssl_password=hunter3")
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
        loop=EventLoop.ASYNCIO,
    )

    line = startup_line(worker, settings)

    assert (
        "worker 'w1' started on docket 'orders' at redis://user:***@cache:6380/1?ssl_password=***"
    ) in line
    assert "concurrency 7, redelivery timeout 90s, shutdown timeout 30s" in line
    assert "tasks: (none); loop: asyncio" in line
    assert "hunter" not in line
