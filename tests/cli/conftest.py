"""CLI fixtures: a tasks module on disk, a unique docket, and `docket worker` subprocesses."""

import asyncio
import contextlib
import logging
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

import pytest
from docket import Docket

from ..helpers import wait_until
from .hiding import without

TASKS_SOURCE = '''\
"""Tasks for the docket CLI tests; each leaves marker files NAME.WHAT.PID in CLI_TEST_OUT."""

import asyncio
import os
from pathlib import Path

OUT = Path(os.environ.get("CLI_TEST_OUT", "."))


def mark(name: str, what: str) -> None:
    (OUT / f"{name}.{what}.{os.getpid()}").write_text("")


async def record(name: str) -> None:
    mark(name, "done")


async def slow(name: str, seconds: float) -> None:
    mark(name, "started")
    await asyncio.sleep(seconds)
    mark(name, "done")


async def stubborn(name: str) -> None:
    """Hangs on its first run, finishes at once on any later one."""
    first = not any(OUT.glob(f"{name}.started.*"))
    mark(name, "started")
    if first:
        await asyncio.sleep(3600)
    mark(name, "done")


async def which_loop(name: str) -> None:
    """Leaves NAME.uvloop.PID or NAME.asyncio.PID: the event loop it ran on."""
    mark(name, type(asyncio.get_running_loop()).__module__.partition(".")[0])


tasks = [record, slow, stubborn, which_loop]
'''


@pytest.fixture(autouse=True)
def restore_process_state() -> Iterator[None]:
    """`docket worker` configures the root logger and puts the current directory on sys.path;
    undo both after each in-process run."""
    root = logging.getLogger()
    handlers, level, path = list(root.handlers), root.level, list(sys.path)
    yield
    root.handlers = handlers
    root.setLevel(level)
    sys.path[:] = path


@pytest.fixture
def tasks_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Name of a fresh module in tmp_path (on sys.path and PYTHONPATH) holding `tasks`."""
    name = f"cli_tasks_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text(TASKS_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("CLI_TEST_OUT", str(tmp_path))
    return name


@pytest.fixture
def docket_name() -> str:
    return f"cli-{uuid.uuid4().hex}"


@pytest.fixture
async def cli_docket(docket_name: str, redis_url: str) -> AsyncIterator[Docket]:
    """The docket the subprocess workers of a test work on, open in the test."""
    async with Docket(name=docket_name, url=redis_url) as opened:
        yield opened


def markers(directory: Path, name: str, what: str) -> list[int]:
    """Pids of the processes that left a NAME.WHAT.PID marker (see TASKS_SOURCE)."""
    return sorted(int(path.suffix[1:]) for path in directory.glob(f"{name}.{what}.*"))


class WorkerProcess:
    """A `docket worker` subprocess whose stderr (the log) goes to a file."""

    def __init__(self, process: asyncio.subprocess.Process, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text()

    def send(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    async def wait_for_log(self, text: str, within: float = 20.0) -> None:
        def logged() -> bool:
            if self.process.returncode is not None:
                raise AssertionError(f"worker exited before logging {text!r}:\n{self.log()}")
            return text in self.log()

        await wait_until(logged, within=within, what=f"{text!r} in the worker log")

    async def wait_for_exit(self, within: float = 20.0) -> int:
        try:
            return await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            raise AssertionError(f"worker still running after {within}s:\n{self.log()}") from None


def _open_log(path: Path) -> IO[bytes]:
    return path.open("wb")


SpawnWorker = Callable[..., Awaitable[WorkerProcess]]

DOCKET_SCRIPT = Path(sys.executable).parent / "docket"


@pytest.fixture
async def spawn_worker(
    tmp_path: Path, redis_url: str, docket_name: str, tasks_module: str
) -> AsyncIterator[SpawnWorker]:
    """Start `docket worker` subprocesses on the test's docket; killed at teardown."""
    started: list[WorkerProcess] = []

    async def spawn(
        *options: str, module: str | None = None, hide: Sequence[str] = ()
    ) -> WorkerProcess:
        """`module`: run `python -m module` instead; `hide`: packages that look uninstalled."""
        command = [str(DOCKET_SCRIPT)]
        if module is not None:
            command = [sys.executable, "-m", module]
        elif hide:
            code = without(*hide) + "from docket_cli.app import main\nmain()\n"
            command = [sys.executable, "-c", code]
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                path for path in (str(tmp_path), os.environ.get("PYTHONPATH")) if path
            ),
            "CLI_TEST_OUT": str(tmp_path),
        }
        log_path = tmp_path / f"worker-{len(started)}.log"
        with _open_log(log_path) as log:
            process = await asyncio.create_subprocess_exec(
                *command,
                "worker",
                "--tasks",
                f"{tasks_module}:tasks",
                "--url",
                redis_url,
                "--docket",
                docket_name,
                "--logging-format",
                "plain",
                *options,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=environment,
            )
        started.append(WorkerProcess(process, log_path))
        return started[-1]

    yield spawn
    for worker in started:
        if worker.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                worker.process.kill()
            await worker.process.wait()
