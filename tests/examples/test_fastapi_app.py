"""examples/fastapi_app.py under a real uvicorn (its default loop: uvloop), driven over HTTP."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..redis_server import free_port

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class Process:
    """A child process whose combined output is collected in a file, for reading while it runs."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._file = log.open("w")
        self.popen = subprocess.Popen(
            command, cwd=EXAMPLES, env=env, stdout=self._file, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> int:
        """SIGINT (Ctrl+C), as a developer stops uvicorn; its exit status."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
        try:
            return self.popen.wait(timeout=30)
        finally:
            if self.popen.poll() is None:
                self.popen.kill()
            self._file.close()


def environment(**extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DOCKET_")} | extra


def poll(condition: Callable[[], Any], *, within: float = 15, what: str) -> Any:
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., tuple[httpx.Client, Process]]]:
    """Start uvicorn on the example with the given environment; stopped at teardown."""
    started: list[tuple[httpx.Client, Process]] = []

    def start(**env: str) -> tuple[httpx.Client, Process]:
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", "fastapi_app:app", "--port", str(port)]
        process = Process(command, environment(**env), tmp_path / f"uvicorn-{port}.log")
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        started.append((client, process))

        def healthy() -> bool:
            assert process.popen.poll() is None, process.output()
            try:
                return client.get("/health").status_code == 200
            except httpx.TransportError:
                return False

        poll(healthy, what="uvicorn to serve the app")
        return client, process

    yield start
    for client, process in started:
        client.close()
        process.stop()


def sent_to(client: httpx.Client, user_id: int) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = client.get("/sent").json()
    return [item for item in sent if item["user_id"] == user_id]


def exercise(client: httpx.Client) -> None:
    """Sign up, move a reminder, cancel one: what a user of the example does."""
    signup = client.post(
        "/signups", params={"user_id": 1, "email": "a@x", "remind_in_seconds": 0.2}
    )
    assert signup.json() == {"welcome": True, "reminder": True}
    poll(lambda: len(sent_to(client, 1)) == 2, what="user 1's welcome and reminder")

    client.post("/signups", params={"user_id": 2, "email": "b@x"})  # reminder in a day
    again = client.post("/signups", params={"user_id": 2, "email": "b@x"})
    assert again.json()["reminder"] is False  # its key is still pending
    moved = client.put("/signups/2/reminder", params={"email": "b@x", "in_seconds": 0.2})
    assert moved.status_code == 200
    poll(lambda: any(i["task"] == "reminder" for i in sent_to(client, 2)), what="the reminder")

    client.post("/signups", params={"user_id": 3, "email": "c@x", "remind_in_seconds": 0.3})
    assert client.delete("/signups/3/reminder").json() == {"cancelled": True}
    assert client.delete("/signups/3/reminder").json() == {"cancelled": False}

    poll(lambda: sent_to(client, 3), what="user 3's welcome")
    client.post("/signups", params={"user_id": 4, "email": "d@x", "remind_in_seconds": 0.5})
    poll(lambda: len(sent_to(client, 4)) == 2, what="user 4's reminder, after 3's would have run")
    assert [i["task"] for i in sent_to(client, 3)] == ["welcome"]  # its reminder was cancelled
    reminders = [i["note"] for i in sent_to(client, 2) if i["task"] == "reminder"]
    assert reminders == ["moved"]  # replaced: the day-later reminder never runs


def test_the_example_schedules_runs_replaces_and_cancels_on_memory(
    serve: Callable[..., tuple[httpx.Client, Process]],
) -> None:
    client, process = serve()

    assert client.get("/health").json() == {"loop": "uvloop"}  # uvicorn's default loop
    exercise(client)
    assert process.stop() == 0
    assert "Application shutdown complete" in process.output()
    assert "no Worker exists" not in process.output()  # the in-app worker serves memory://


def test_the_example_runs_its_worker_in_the_app_on_redis(
    serve: Callable[..., tuple[httpx.Client, Process]], redis_url: str
) -> None:
    client, _ = serve(DOCKET_URL=redis_url, DOCKET_NAME=f"signups-{uuid.uuid4().hex[:8]}")

    exercise(client)


def test_the_example_schedules_for_separate_docket_worker_processes(
    serve: Callable[..., tuple[httpx.Client, Process]], redis_url: str, tmp_path: Path
) -> None:
    name = f"signups-{uuid.uuid4().hex[:8]}"
    env = environment(DOCKET_URL=redis_url, DOCKET_NAME=name, PYTHONPATH=str(EXAMPLES))
    workers = [
        Process(
            [sys.executable, "-m", "docket_cli", "worker", "--tasks", "fastapi_app:tasks"],
            env,
            tmp_path / f"worker-{n}.log",
        )
        for n in range(2)
    ]
    try:
        client, _ = serve(DOCKET_URL=redis_url, DOCKET_NAME=name, DOCKET_IN_APP_WORKER="0")
        for user_id in range(10):
            response = client.post(
                "/signups", params={"user_id": user_id, "email": "x@x", "remind_in_seconds": 0.1}
            )
            assert response.json() == {"welcome": True, "reminder": True}

        def finished() -> int:
            return sum(w.output().count("finished send_") for w in workers)

        poll(lambda: finished() == 20, within=30, what="the workers to run all 20 tasks")
        assert client.get("/sent").json() == []  # nothing ran inside the app
    finally:
        statuses = [worker.stop() for worker in workers]
    assert statuses == [0, 0]
