"""The options of a Docket and of its calls, checked where they are given."""

from datetime import timedelta
from typing import Literal

from ._results import ResultStorage
from ._time import timedelta_to_ms
from ._workers import check_heartbeat_options

Durability = Literal["local", "replicated"]
DURABILITIES: tuple[Durability, ...] = ("local", "replicated")

Running = Literal["cancel", "finish"]
"""What `cancel` or `replace` does to a running copy of the key: stop it, or let it finish."""
RUNNING: tuple[Running, ...] = ("cancel", "finish")


def check_running(method: str, running: str) -> None:
    if running not in RUNNING:
        raise ValueError(f"{method}(running={running!r}) is not one of {', '.join(RUNNING)}.")


def check_options(
    *,
    durability: str,
    reconnect_timeout: timedelta,
    execution_ttl: timedelta,
    result_storage: object,
    heartbeat_interval: timedelta,
    missed_heartbeats: int,
) -> None:
    """A ValueError (or TypeError) saying what to pass, for the first option that is wrong."""
    if durability not in DURABILITIES:
        raise ValueError(
            f"Docket(durability={durability!r}) is not one of {', '.join(DURABILITIES)}."
        )
    if reconnect_timeout < timedelta(0):
        raise ValueError(f"Docket(reconnect_timeout={reconnect_timeout!r}) cannot be negative.")
    if not isinstance(execution_ttl, timedelta) or execution_ttl < timedelta(0):
        raise ValueError(
            f"Docket(execution_ttl={execution_ttl!r}): pass a timedelta of 0 or more, "
            "e.g. timedelta(minutes=15); timedelta(0) keeps no records."
        )
    if result_storage is not None and not isinstance(result_storage, ResultStorage):
        raise TypeError(
            f"Docket(result_storage={result_storage!r}) lacks async put/get/delete "
            "methods: see docket._results.ResultStorage for what it must have."
        )
    check_heartbeat_options(heartbeat_interval, missed_heartbeats)


def record_ms_of(execution_ttl: timedelta) -> int:
    """execution_ttl in milliseconds, for the scripts; under a millisecond still keeps one."""
    ms = max(timedelta_to_ms(execution_ttl), 0)
    return 1 if ms == 0 and execution_ttl > timedelta(0) else ms
