"""What a failure to open a docket tells the user: unreachable, refused, or misconfigured."""

from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from ._errors import DocketConnectionError, DocketPermissionError
from ._permissions import permission_error
from ._tls import tls_hint
from ._urls import redact_url

if TYPE_CHECKING:
    from ._docket import Docket


def opening_error(docket: "Docket", error: BaseException) -> BaseException:
    """The error to raise for `error` met while opening `docket`: a DocketPermissionError or
    DocketConnectionError that says what to do for a Redis or network failure; `error`
    itself for anything else."""
    return connection_error(docket.url, docket.name, error)


def connection_error(url: str, name: str, error: BaseException) -> BaseException:
    """`opening_error` for docket `name` at `url`."""
    if isinstance(error, DocketPermissionError) or not isinstance(error, RedisError | OSError):
        return error
    refused = permission_error(error, action="open", url=url, docket=name)
    if refused is not None:
        return refused
    reason = str(error).rstrip(".") or type(error).__name__
    advice = tls_hint(reason, url) or (
        "Start the server, or check the URL (url=, --url or DOCKET_URL)."
    )
    return DocketConnectionError(
        f"cannot reach Redis at {redact_url(url)} for docket {name!r}: {reason}. {advice}"
    )
