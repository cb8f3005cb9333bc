"""Durations on the command line: the accepted spellings, and a usage error for anything else."""

from datetime import timedelta

import pytest
import typer
from docket_cli._durations import format_duration, parse_duration, parse_positive_duration
from docket_cli.app import app
from typer.testing import CliRunner


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("250ms", timedelta(milliseconds=250)),
        ("30s", timedelta(seconds=30)),
        ("1.5s", timedelta(seconds=1.5)),
        ("5m", timedelta(minutes=5)),
        ("1h", timedelta(hours=1)),
        ("05:30", timedelta(minutes=5, seconds=30)),
        ("90:00", timedelta(minutes=90)),
        ("01:02:03", timedelta(hours=1, minutes=2, seconds=3)),
        ("0:0:10", timedelta(seconds=10)),
        ("0:00:10", timedelta(seconds=10)),
        ("1:5", timedelta(minutes=1, seconds=5)),
        ("1:2:3", timedelta(hours=1, minutes=2, seconds=3)),
        ("0:59:59", timedelta(minutes=59, seconds=59)),
        ("100:00:00", timedelta(hours=100)),
        ("10", timedelta(seconds=10)),
        ("2.5", timedelta(seconds=2.5)),
        ("0", timedelta(0)),
        (" 30s ", timedelta(seconds=30)),
    ],
)
def test_duration_spellings_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "5x",
        "5 m",
        "-5",
        "-5s",
        "1e3",
        "s",
        "1:60",
        "1:99",
        "1:00:60",
        "1:60:00",
        "1:2:3:4",
        "1:005",
        ":30",
        "1:",
        "1::5",
    ],
)
def test_anything_else_is_refused_naming_the_accepted_formats(text: str) -> None:
    with pytest.raises(typer.BadParameter, match="is not a duration: use 250ms, 30s"):
        parse_duration(text)


@pytest.mark.parametrize(
    "text", ["99999999999999", "8761h", "8760:00:01", "525601m", "9" * 400, "9" * 400 + ":00"]
)
def test_a_duration_longer_than_a_year_is_refused_naming_the_limit(text: str) -> None:
    with pytest.raises(typer.BadParameter, match=r"is too long: .* at most 365 days \(8760h\)"):
        parse_duration(text)


def test_a_year_is_the_longest_duration_accepted() -> None:
    assert parse_duration("8760h") == timedelta(days=365)
    assert parse_duration("8760:00:00") == timedelta(days=365)


def test_a_redelivery_timeout_of_zero_is_refused() -> None:
    with pytest.raises(typer.BadParameter, match="longer than zero"):
        parse_positive_duration("0s")


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (timedelta(minutes=5), "5m"),
        (timedelta(seconds=30), "30s"),
        (timedelta(hours=2), "2h"),
        (timedelta(milliseconds=1500), "1500ms"),
        (timedelta(0), "0ms"),
    ],
)
def test_durations_are_logged_in_the_syntax_they_are_given_in(
    duration: timedelta, text: str
) -> None:
    assert format_duration(duration) == text
    assert parse_duration(text) == duration


@pytest.mark.parametrize(
    "option", ["--redelivery-timeout", "--shutdown-timeout"], ids=lambda option: option
)
@pytest.mark.parametrize("bad", ["soon", "5x", "1:99"])
def test_bad_duration_option_is_a_one_line_usage_error_with_exit_code_2(
    option: str, bad: str, tasks_module: str
) -> None:
    result = CliRunner().invoke(app, ["worker", "--tasks", f"{tasks_module}:tasks", option, bad])

    assert result.exit_code == 2
    [error] = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert f"Invalid value for '{option}'" in error
    assert f"{bad!r} is not a duration" in error


@pytest.mark.parametrize(
    "option", ["--redelivery-timeout", "--shutdown-timeout"], ids=lambda option: option
)
def test_too_long_duration_option_is_a_one_line_usage_error_naming_the_limit(
    option: str, tasks_module: str
) -> None:
    result = CliRunner().invoke(
        app, ["worker", "--tasks", f"{tasks_module}:tasks", option, "99999999999999"]
    )

    assert result.exit_code == 2
    assert "Traceback" not in result.output
    [error] = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert f"Invalid value for '{option}'" in error
    assert "'99999999999999' is too long: a duration is at most 365 days (8760h)" in error


def test_bad_duration_from_the_environment_is_a_usage_error_too(tasks_module: str) -> None:
    result = CliRunner().invoke(
        app,
        ["worker", "--tasks", f"{tasks_module}:tasks"],
        env={"DOCKET_WORKER_SHUTDOWN_TIMEOUT": "forever"},
    )

    assert result.exit_code == 2
    assert "'forever' is not a duration" in result.stderr
