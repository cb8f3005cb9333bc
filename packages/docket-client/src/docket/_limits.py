"""Limits the server puts on what a call may carry, checked before anything is sent."""

from collections.abc import Sequence

from ._backends import RedisBackend
from ._calls import Call
from ._errors import MessageTooLargeError

SMALLEST_BULK_LIMIT = 1024 * 1024
"""The lowest proto-max-bulk-len Redis accepts: smaller messages never need the check."""


async def check_sizes(backend: RedisBackend, calls: Sequence[Call]) -> None:
    """Refuse a call whose message is larger than the server accepts in one bulk string."""
    for call in calls:
        if len(call.payload) > SMALLEST_BULK_LIMIT:
            limit = await backend.bulk_limit()
            if len(call.payload) > limit:
                e = call.execution
                raise MessageTooLargeError(
                    f"the call of {e.function_name} (key={e.key}) is {len(call.payload):,} "
                    f"bytes, more than the server accepts (proto-max-bulk-len {limit:,} "
                    "bytes). Pass a reference (an id, a path, a URL) instead of the data."
                )
