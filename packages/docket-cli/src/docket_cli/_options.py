"""Options shared by several commands, and the one way the CLI reports a failure."""

import re
from typing import Annotated, NoReturn

import typer
from docket import DocketError
from docket._urls import redact_text, redact_url
from redis.exceptions import RedisError

DEFAULT_URL = "redis://localhost:6379/0"
DEFAULT_DOCKET = "docket"

UrlOption = Annotated[
    str,
    typer.Option(
        "--url",
        metavar="URL",
        envvar="DOCKET_URL",
        help="URL of the docket's Redis: redis://[:password@]host:port/db, rediss:// or "
        "unix://; redis-py options as query parameters (?socket_timeout=5).",
    ),
]
DocketOption = Annotated[
    str,
    typer.Option(
        "--docket",
        metavar="NAME",
        envvar="DOCKET_NAME",
        help="Name of the docket, shared by its clients and workers.",
    ),
]


def fail(message: str) -> NoReturn:
    """Print one line (no traceback) on stderr and exit with status 1."""
    typer.echo(f"Error: {' '.join(message.split())}", err=True)
    raise typer.Exit(1)


_UNKNOWN_OPTION = re.compile(r"unexpected keyword argument '(?P<name>\w+)'")


def opening_error(error: Exception) -> bool:
    """Whether `error`, raised opening a docket or a worker, means Redis or the URL is unusable
    (rather than a bug, whose traceback helps)."""
    if isinstance(error, TypeError):  # what redis-py raises for an unknown URL option
        return _UNKNOWN_OPTION.search(str(error)) is not None
    return isinstance(error, DocketError | RedisError | OSError | ValueError)


def opening_failure(error: Exception, url: str, docket: str) -> str:
    """The one line to print for `error` from opening docket `docket` at `url`, secrets hidden."""
    unknown = _UNKNOWN_OPTION.search(str(error)) if isinstance(error, TypeError) else None
    if unknown is not None:
        message = (
            f"the URL {redact_url(url)} has an option redis-py does not take: "
            f"{unknown['name']!r}. Check its spelling, or remove it."
        )
    elif isinstance(error, DocketError | ValueError):  # docket's own words say what to do
        message = str(error)
    else:  # redis-py or the network: say where, then what it said
        reason = str(error).rstrip(".") or type(error).__name__
        message = (
            f"Redis at {redact_url(url)} failed for docket {docket!r}: {reason}. Check that "
            "Redis is up and the URL is right (--url or DOCKET_URL)."
        )
    return redact_text(message, url)
