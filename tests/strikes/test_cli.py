"""`docket strike | restore | strikes` end to end: `docket` subprocesses on the suite's Redis,
the effects seen by a Docket client (and a worker) in the test."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from docket import Disposition, Docket, Worker
from docket._strikes import Strike
from docket_cli.app import app
from typer.testing import CliRunner

from ..cli.commands import docket_command
from ..cli.test_startup_errors import closed_port
from ..helpers import wait_until


@pytest.fixture
async def cli_docket(redis_url: str) -> AsyncIterator[Docket]:
    async with Docket(name=f"cli-strikes-{uuid.uuid4().hex}", url=redis_url) as opened:
        yield opened


async def record(customer_id: object) -> None: ...


async def test_strike_strikes_and_restore_round_trip(cli_docket: Docket) -> None:
    cli_docket.register(record)
    queued = await cli_docket.add(record, key="queued")(123)
    name = cli_docket.name

    struck = await docket_command("strike", "*", "customer_id", "==", "int:123", docket=cli_docket)

    assert (struck.code, struck.stderr) == (0, "")
    assert struck.stdout == f"struck any task where customer_id == 123 on docket {name!r}\n"
    await wait_until(lambda: bool(cli_docket.strikes), within=0.1, what="the strike to arrive")
    assert (await cli_docket.add(record)(123)).disposition is Disposition.STRUCK
    async with Worker(cli_docket) as worker:
        await worker.run_until_finished()  # holds the one queued before the strike

    listed = await docket_command("strikes", docket=cli_docket)
    assert (
        listed.stdout == f"'*' customer_id == int:123\n1 strike(s) in effect on docket {name!r}\n"
    )

    restored = await docket_command(
        "restore", "", "customer_id", "==", "int:123", docket=cli_docket
    )
    assert (restored.code, restored.stderr) == (0, "")
    assert restored.stdout == (
        f"restored any task where customer_id == 123 on docket {name!r}: "
        "1 held execution(s) due again\n"
    )
    await wait_until(lambda: not cli_docket.strikes, within=0.1, what="the restore to arrive")
    assert await cli_docket.get_execution(queued.key) is not None


def test_typed_values_reach_the_docket_as_their_types(redis_url: str) -> None:
    """In-process (CliRunner), to keep it quick: the same command, five times."""
    options = ["--url", redis_url, "--docket", f"cli-strikes-{uuid.uuid4().hex}"]
    words = [
        ["sync", "when", ">=", "datetime:2026-01-01T00:00:00+00:00"],
        ["sync", "amount", "between", "decimal:1.25", "float:2.5"],
        ["*", "active", "!=", "bool:true"],
        ["*", "name", "==", "Jane"],
        ["send_email"],
    ]
    for arguments in words:
        result = CliRunner().invoke(app, ["strike", *arguments, *options])
        assert result.exit_code == 0, result.output

    async def read() -> list[Strike]:
        async with Docket(name=options[3], url=redis_url) as docket:
            return docket.strikes

    strikes = asyncio.run(read())
    assert {strike.parameter: strike.value for strike in strikes} == {
        "when": datetime(2026, 1, 1, tzinfo=UTC),
        "amount": (Decimal("1.25"), 2.5),
        "active": True,
        "name": "Jane",
        None: None,
    }
    listed = CliRunner().invoke(app, ["strikes", *options]).stdout.splitlines()
    assert "sync amount between decimal:1.25 float:2.5" in listed
    assert "send_email" in listed


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["strike"], "name a FUNCTION"),
        (["strike", "*", "*"], "name a FUNCTION"),
        (["strike", "sync", "customer_id"], "needs an OPERATOR and a VALUE"),
        (["strike", "sync", "customer_id", "=="], "takes one VALUE"),
        (["strike", "sync", "customer_id", "between", "1"], "takes two values"),
        (["strike", "sync", "customer_id", "==", "int:abc"], "not a valid int"),
        (["strike", "sync", "customer_id", "~", "1"], "'~' is not one of"),
        (["restore", "sync", "*", "==", "1"], "OPERATOR and VALUE go with a PARAMETER"),
    ],
)
def test_words_that_name_no_strike_are_a_usage_error(arguments: list[str], says: str) -> None:
    result = CliRunner().invoke(app, [*arguments, "--url", f"redis://127.0.0.1:{closed_port()}"])

    assert result.exit_code == 2, result.output
    assert says in result.stderr


@pytest.mark.parametrize("command", [["strike", "sync"], ["restore", "sync"], ["strikes"]])
def test_an_unreachable_redis_is_one_line_and_exit_1(command: list[str]) -> None:
    url = f"redis://:hunter2@127.0.0.1:{closed_port()}/0"

    result = CliRunner().invoke(app, [*command, "--url", url])

    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: cannot reach Redis at redis://:***@127.0.0.1")
    assert "hunter2" not in line
