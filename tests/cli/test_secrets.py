"""A password in the URL never shows in what `docket` prints, whatever form it is given in."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from docket_cli.app import app
from typer.testing import CliRunner

from ..redis_server import RedisServer
from .conftest import SpawnWorker, markers
from .faults import silent_port

SECRET = "s3cret-Pa55"
QUICK_TIMEOUTS = "socket_connect_timeout=1&socket_timeout=1"


@pytest.fixture(scope="module")
def guarded_port() -> Iterator[int]:
    """Port of a private Redis that requires a password other than SECRET."""
    server = RedisServer()
    server.start()
    client = redis.Redis(port=server.port)
    client.config_set("requirepass", "the-right-one")
    client.close()
    try:
        yield server.port
    finally:
        server.cleanup()


@pytest.mark.parametrize(
    "credentials",
    [f"?password={SECRET}", f"?{QUICK_TIMEOUTS}&password={SECRET}&db=0", "@"],
    ids=["query", "query-among-others", "userinfo"],
)
async def test_password_refused_by_redis_never_shows(
    credentials: str, guarded_port: int, spawn_worker: SpawnWorker
) -> None:
    url = f"redis://127.0.0.1:{guarded_port}/0{credentials}"
    if credentials == "@":
        url = f"redis://default:{SECRET}@127.0.0.1:{guarded_port}/0"

    worker = await spawn_worker("--url", url, "--until-finished")

    assert await worker.wait_for_exit() == 1, worker.log()
    log = worker.log()
    assert "cannot reach Redis" in log
    assert "***" in log
    assert SECRET not in log


async def test_password_to_a_server_that_never_answers_never_shows(
    spawn_worker: SpawnWorker,
) -> None:
    with silent_port() as port:
        url = f"redis://127.0.0.1:{port}/0?{QUICK_TIMEOUTS}&password={SECRET}"
        worker = await spawn_worker("--url", url, "--until-finished")

        assert await worker.wait_for_exit() == 1, worker.log()

    assert f"redis://127.0.0.1:{port}/0?{QUICK_TIMEOUTS}&password=***" in worker.log()
    assert SECRET not in worker.log()


@pytest.fixture(scope="module")
def secret_url() -> Iterator[str]:
    """URL of a private Redis whose password is SECRET (without the password)."""
    server = RedisServer()
    server.start()
    client = redis.Redis(port=server.port)
    client.config_set("requirepass", SECRET)
    client.close()
    try:
        yield server.url
    finally:
        server.cleanup()


async def test_password_in_the_query_is_hidden_in_the_startup_line(
    spawn_worker: SpawnWorker, secret_url: str, tmp_path: Path
) -> None:
    worker = await spawn_worker("--url", f"{secret_url}?password={SECRET}", "--until-finished")

    assert await worker.wait_for_exit() == 0, worker.log()
    assert f"at {secret_url}?password=*** (until finished)" in worker.log()
    assert SECRET not in worker.log()
    assert markers(tmp_path, "job", "done") == []


@pytest.mark.parametrize(
    "url",
    [
        f"redis://:{SECRET}@127.0.0.1:1/0?{QUICK_TIMEOUTS}",
        f"redis://127.0.0.1:1/0?sentinel_password={SECRET}",
        f"redis://127.0.0.1:1/0?socket_timeout=soon&password={SECRET}",
        f"http://user:{SECRET}@example/",
    ],
    ids=["unreachable", "unreachable-sentinel-password", "bad-option", "unknown-scheme"],
)
def test_dead_letter_commands_hide_the_password_too(url: str) -> None:
    result = CliRunner().invoke(app, ["dead", "ls", "--url", url])

    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert "Traceback" not in result.output
    assert SECRET not in result.output
