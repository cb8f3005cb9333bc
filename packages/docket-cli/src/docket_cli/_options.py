"""Options shared by several commands, the one way the CLI reports a failure, and the one way
a command opens a docket.

Only Typer is imported here: `docket --help` and the help of every command load this module,
and must not pay for docket, redis or the worker.
"""

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from docket import Docket

DEFAULT_URL = "redis://localhost:6379/0"
DEFAULT_DOCKET = "docket"
URL_ENVVAR = "DOCKET_URL"


def fail(message: str) -> NoReturn:
    """Print one line (no traceback) on stderr and exit with status 1."""
    typer.echo(f"Error: {' '.join(message.split())}", err=True)
    raise typer.Exit(1)


def is_memory_url(url: str) -> bool:
    """Whether `url` names an in-process memory:// docket (the scheme as docket reads it)."""
    return url.partition("://")[0].lower() == "memory"


def refuse_memory_url(ctx: typer.Context, param: typer.CallbackParam, url: str) -> str:
    """The --url callback: exit 1 with one line for a memory:// URL, before anything else runs.

    A memory:// docket lives in the memory of the process that opened it, so a command (its own
    process) would work on a fresh, empty docket of its own and never see the app's tasks.
    """
    if ctx.resilient_parsing or not is_memory_url(url):  # (shell completion: say nothing)
        return url
    from docket._urls import redact_url  # only on this error path: docket pulls in redis

    source = ctx.get_parameter_source(param.name) if param.name else None
    from_environment = source is not None and source.name == "ENVIRONMENT"
    given = f"{URL_ENVVAR}={redact_url(url)}" if from_environment else f"--url {redact_url(url)}"
    fail(
        f"{given} lives inside one process: a `docket` command runs in its own process and "
        "cannot see the tasks of your app's memory:// docket. Use a redis:// URL (or run the "
        "worker in your app: `async with Worker(docket).running():`)."
    )


UrlOption = Annotated[
    str,
    typer.Option(
        "--url",
        metavar="URL",
        envvar=URL_ENVVAR,
        callback=refuse_memory_url,
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


def on_docket[T](name: str, url: str, action: Callable[["Docket"], Awaitable[T]]) -> T:
    """Open the docket, run `action` on it, close it; one-line error if Redis is unreachable."""
    import asyncio

    from docket import Docket
    from docket._codecs import codec_from_environment
    from docket._sharding import recorded_shards, shards_from_environment
    from docket._signing import keys_from_environment

    from ._opening import opening_error, opening_failure

    async def run() -> T:
        keys, codec = keys_from_environment(), codec_from_environment()
        shards = shards_from_environment() or await recorded_shards(name, url)
        async with Docket(
            name=name, url=url, signing_keys=keys, codec=codec, shards=shards
        ) as docket:
            return await action(docket)

    try:
        return asyncio.run(run())
    except Exception as error:
        if not opening_error(error):  # a bug: its traceback helps
            raise
        fail(opening_failure(error, url, name))
