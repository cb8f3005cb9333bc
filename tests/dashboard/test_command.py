"""`docket dashboard` refuses unsafe set-ups before serving anything."""

from docket_cli.app import app
from typer.testing import CliRunner


def test_a_non_loopback_bind_without_a_token_is_refused(redis_url: str) -> None:
    result = CliRunner().invoke(app, ["dashboard", "--url", redis_url, "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "--host 0.0.0.0 is not loopback: give --token" in result.stderr
