"""What opening a docket or a worker can fail with, and the one line the CLI prints for it.

It imports docket and redis, so only the commands that open a docket load it.
"""

import re

from docket import DocketError
from docket._permissions import permission_error
from docket._urls import redact_text, redact_url
from redis.exceptions import RedisError

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
    refused = permission_error(error, action="go on", url=url, docket=docket)
    if refused is not None:  # an ACL refusal redis-py raised itself (its own connections)
        message = str(refused)
    elif unknown is not None:
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
