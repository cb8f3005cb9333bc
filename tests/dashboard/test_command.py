"""`docket dashboard`: it serves on the port asked for, and refuses unsafe or broken set-ups
with one line and its documented exit status."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

from docket_cli.app import app
from typer.testing import CliRunner

from ..redis_server import free_port


def test_a_non_loopback_bind_without_a_token_is_refused(redis_url: str) -> None:
    result = CliRunner().invoke(app, ["dashboard", "--url", redis_url, "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "--host 0.0.0.0 is not loopback: give --token" in result.stderr


def test_an_unreachable_redis_is_one_line_and_status_1() -> None:
    port = free_port()  # nothing listens there
    result = CliRunner().invoke(app, ["dashboard", "--url", f"redis://127.0.0.1:{port}/0"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot reach Redis at")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_without_the_package_the_command_says_to_install_it() -> None:
    script = (
        "import sys; sys.modules['docket_dashboard'] = None\n"  # as if it were not installed
        "sys.argv = ['docket', 'dashboard']\n"
        "from docket_cli.app import main; main()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 3
    assert "uv add docket-dashboard" in done.stderr
    assert "Traceback" not in done.stderr


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            body: bytes = response.read()
            return body.decode()
    except (urllib.error.URLError, ConnectionError):
        return None


def test_the_command_serves_the_docket_on_the_port_with_the_token_from_the_env(
    redis_url: str,
) -> None:
    name, port = f"cmd-{uuid.uuid4().hex}", free_port()
    env = {**os.environ, "DOCKET_DASHBOARD_TOKEN": "from-the-env"}
    command = [sys.executable, "-m", "docket", "dashboard", "--url", redis_url]
    server = subprocess.Popen(
        [*command, "--docket", name, "--port", str(port)], env=env, stderr=subprocess.PIPE
    )
    try:
        page, deadline = None, time.monotonic() + 30
        while page is None and server.poll() is None and time.monotonic() < deadline:
            page = _get(f"http://127.0.0.1:{port}/dead")
            time.sleep(0.1)  # a poll with a deadline: the server gives no signal it is up
        assert page is not None, server.stderr.read() if server.stderr else "no answer"
        assert name in page
        assert 'data-action="requeue"' in page  # the token enables the actions
    finally:
        server.terminate()
        server.communicate(timeout=10)  # waits, and closes the stderr pipe
