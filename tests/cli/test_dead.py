"""`docket dead ls | requeue | purge` against the suite's Redis."""

import asyncio
from datetime import timedelta

import pytest
from docket import Docket, Worker
from docket_cli.app import app
from typer.testing import CliRunner


async def _make_dead_letters(url: str, name: str, keys: list[str]) -> None:
    async with Docket(name=name, url=url) as docket:
        for key in keys:
            await docket.add("nobody_knows_this_task", key=key)(1)
        async with Worker(docket, unknown_task_grace=timedelta(0)) as worker:
            await worker.run_until_finished()


async def _dead_keys(url: str, name: str) -> list[str]:
    async with Docket(name=name, url=url) as docket:
        return [letter.key for letter in await docket.dead_letters()]


@pytest.fixture
def dead_docket(redis_url: str, docket_name: str) -> list[str]:
    """`docket dead` options for a docket with two dead letters, keys 'alpha' and 'beta'."""
    asyncio.run(_make_dead_letters(redis_url, docket_name, ["alpha", "beta"]))
    return ["--url", redis_url, "--docket", docket_name]


def dead_keys(options: list[str]) -> list[str]:
    return asyncio.run(_dead_keys(options[1], options[3]))


def test_ls_prints_one_line_per_dead_letter_and_a_count(dead_docket: list[str]) -> None:
    result = CliRunner().invoke(app, ["dead", "ls", *dead_docket])

    assert result.exit_code == 0, result.output
    *letters, count = result.stdout.splitlines()
    assert [line.split("  ")[1:3] for line in letters] == [
        ["alpha", "nobody_knows_this_task"],
        ["beta", "nobody_knows_this_task"],
    ]
    assert all("nobody_knows_this_task" in line.split("  ", 3)[3] for line in letters)
    assert count.startswith("2 dead letter(s) on docket")


def test_ls_reads_url_and_docket_from_the_environment(dead_docket: list[str]) -> None:
    env = {"DOCKET_URL": dead_docket[1], "DOCKET_NAME": dead_docket[3]}

    result = CliRunner().invoke(app, ["dead", "ls", "--limit", "1"], env=env)

    assert result.exit_code == 0, result.output
    assert "alpha" in result.stdout
    assert "beta" not in result.stdout
    assert "1 dead letter(s)" in result.stdout


def test_ls_of_an_empty_docket_says_zero(redis_url: str, docket_name: str) -> None:
    result = CliRunner().invoke(app, ["dead", "ls", "--url", redis_url, "--docket", docket_name])

    assert result.exit_code == 0, result.output
    assert result.stdout == f"0 dead letter(s) on docket {docket_name!r}\n"


def test_requeue_key_puts_back_only_that_letter(dead_docket: list[str]) -> None:
    result = CliRunner().invoke(app, ["dead", "requeue", "alpha", *dead_docket])

    assert result.exit_code == 0, result.output
    assert "requeued 1 dead letter(s)" in result.stdout
    assert dead_keys(dead_docket) == ["beta"]


def test_requeue_of_a_key_without_letters_exits_1(dead_docket: list[str]) -> None:
    result = CliRunner().invoke(app, ["dead", "requeue", "gamma", *dead_docket])

    assert result.exit_code == 1
    assert "no dead letter of key 'gamma' could be requeued" in result.stderr
    assert dead_keys(dead_docket) == ["alpha", "beta"]


def test_requeue_all_puts_back_every_letter(dead_docket: list[str]) -> None:
    result = CliRunner().invoke(app, ["dead", "requeue", "--all", *dead_docket])

    assert result.exit_code == 0, result.output
    assert "requeued 2 dead letter(s)" in result.stdout
    assert dead_keys(dead_docket) == []


@pytest.mark.parametrize("arguments", [[], ["alpha", "--all"]], ids=["neither", "both"])
def test_requeue_needs_exactly_one_of_key_and_all(
    arguments: list[str], dead_docket: list[str]
) -> None:
    result = CliRunner().invoke(app, ["dead", "requeue", *arguments, *dead_docket])

    assert result.exit_code == 2
    assert "give either a task KEY or --all" in result.stderr
    assert dead_keys(dead_docket) == ["alpha", "beta"]


def test_purge_asks_first_and_keeps_everything_on_no(dead_docket: list[str]) -> None:
    result = CliRunner().invoke(app, ["dead", "purge", *dead_docket], input="n\n")

    assert result.exit_code == 1
    assert "Delete every dead letter of docket" in result.stdout
    assert dead_keys(dead_docket) == ["alpha", "beta"]


def test_purge_deletes_every_letter_on_yes(dead_docket: list[str]) -> None:
    result = CliRunner().invoke(app, ["dead", "purge", *dead_docket], input="y\n")

    assert result.exit_code == 0, result.output
    assert "purged 2 dead letter(s)" in result.stdout
    assert dead_keys(dead_docket) == []


def test_purge_with_yes_does_not_ask(dead_docket: list[str]) -> None:
    result = CliRunner().invoke(app, ["dead", "purge", "--yes", *dead_docket])

    assert result.exit_code == 0, result.output
    assert "Delete every" not in result.stdout
    assert dead_keys(dead_docket) == []


def test_purge_key_deletes_only_that_letter_after_asking(dead_docket: list[str]) -> None:
    result = CliRunner().invoke(app, ["dead", "purge", "alpha", *dead_docket], input="y\n")

    assert result.exit_code == 0, result.output
    assert "Delete the dead letters of key 'alpha' of docket" in result.stdout
    assert "purged 1 dead letter(s)" in result.stdout
    assert dead_keys(dead_docket) == ["beta"]


def test_purge_of_a_key_without_letters_exits_1(dead_docket: list[str]) -> None:
    result = CliRunner().invoke(app, ["dead", "purge", "gamma", "--yes", *dead_docket])

    assert result.exit_code == 1
    assert "no dead letter of key 'gamma' to purge" in result.stderr
    assert dead_keys(dead_docket) == ["alpha", "beta"]
