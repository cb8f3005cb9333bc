"""Bad input fails at the call, before anything is written, with a message that says what to do."""

import functools
import socket
import threading
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from docket import (
    Docket,
    DocketError,
    ExponentialRetry,
    InvalidScheduleError,
    InvalidTaskError,
    Retry,
    SerializationError,
)

from ..helpers import BUILT_IN_TASKS
from ._support import stored_keys, tomorrow


async def send_followup_email(customer_id: int, name: str) -> None: ...


async def test_a_sync_function_is_refused_with_a_hint_to_use_async_def(docket: Docket) -> None:
    def send_now(customer_id: int) -> None: ...

    with pytest.raises(InvalidTaskError, match="not an async function") as raised:
        docket.add(send_now)  # type: ignore[arg-type]

    assert "async def" in str(raised.value)
    assert "send_now" in str(raised.value)
    assert isinstance(raised.value, TypeError)
    assert "send_now" not in docket.tasks
    assert await stored_keys(docket) == []


async def test_registering_a_sync_function_is_refused(docket: Docket) -> None:
    def send_now() -> None: ...

    with pytest.raises(InvalidTaskError, match="async def"):
        docket.register(send_now)  # type: ignore[arg-type]

    assert set(docket.tasks) == BUILT_IN_TASKS


async def test_something_not_callable_is_refused_with_what_to_pass_instead(
    docket: Docket,
) -> None:
    with pytest.raises(InvalidTaskError, match="is not a task") as raised:
        docket.add(42)  # type: ignore[call-overload]

    assert "async def" in str(raised.value)
    assert "name as a string" in str(raised.value)
    assert await stored_keys(docket) == []


async def test_a_lock_argument_is_refused_naming_the_argument(docket: Docket) -> None:
    async def guarded(customer_id: int, lock: Any) -> None: ...

    with pytest.raises(SerializationError, match="cloudpickle") as raised:
        await docket.add(guarded)(12345, threading.Lock())

    message = str(raised.value)
    assert "guarded" in message
    assert "argument 1" in message
    assert "lock" in message
    assert "Pass plain data" in message
    assert isinstance(raised.value, TypeError)
    assert await stored_keys(docket) == []


async def test_an_open_socket_keyword_argument_is_refused_naming_it(docket: Docket) -> None:
    async def notify(customer_id: int, connection: Any = None) -> None: ...

    with socket.socket() as connection, pytest.raises(SerializationError) as raised:
        await docket.add(notify, key="notify-1")(12345, connection=connection)

    message = str(raised.value)
    assert "argument 'connection', a socket" in message
    assert "let the task open files, connections or locks itself" in message
    assert await stored_keys(docket) == []


async def test_a_naive_datetime_is_refused_with_how_to_make_an_aware_one(docket: Docket) -> None:
    naive = datetime.now() + timedelta(days=1)

    with pytest.raises(InvalidScheduleError, match="no time zone") as raised:
        docket.add(send_followup_email, when=naive)

    assert "aware" in str(raised.value)
    assert "timezone.utc" in str(raised.value)
    assert isinstance(raised.value, ValueError)
    assert await stored_keys(docket) == []


async def test_a_naive_datetime_is_refused_by_replace_too(docket: Docket) -> None:
    await docket.add(send_followup_email, when=tomorrow(), key="followup")(12345, "Jane")
    stored = await stored_keys(docket)

    with pytest.raises(InvalidScheduleError, match="no time zone"):
        docket.replace(send_followup_email, when=datetime(2030, 1, 1), key="followup")

    assert await stored_keys(docket) == stored
    assert await docket.cancel("followup") is True


async def test_a_timedelta_as_when_is_refused_with_a_message_naming_datetime(
    docket: Docket,
) -> None:
    with pytest.raises(DocketError, match="datetime"):
        docket.add(send_followup_email, when=timedelta(minutes=5))  # type: ignore[call-overload]

    assert await stored_keys(docket) == []


async def test_an_empty_key_is_refused_by_add_replace_and_cancel(docket: Docket) -> None:
    with pytest.raises(InvalidScheduleError, match="non-empty string") as raised:
        docket.add(send_followup_email, key="")
    with pytest.raises(InvalidScheduleError, match="non-empty string"):
        docket.replace(send_followup_email, when=tomorrow(), key="")
    with pytest.raises(InvalidScheduleError, match="non-empty string"):
        await docket.cancel("")

    assert "leave key out" in str(raised.value)
    assert await stored_keys(docket) == []


async def test_a_key_that_is_not_a_string_is_refused(docket: Docket) -> None:
    with pytest.raises(InvalidScheduleError, match="key=12345 cannot name a task"):
        docket.add(send_followup_email, key=12345)  # type: ignore[call-overload]

    assert await stored_keys(docket) == []


async def test_too_many_arguments_are_refused_naming_the_task(docket: Docket) -> None:
    with pytest.raises(InvalidTaskError, match=r"send_followup_email\(\) cannot take") as raised:
        await docket.add(send_followup_email)(12345, "Jane", "extra")  # type: ignore[call-arg]

    assert "too many positional arguments" in str(raised.value)
    assert isinstance(raised.value, TypeError)
    assert await stored_keys(docket) == []


async def test_a_missing_argument_is_refused_naming_it(docket: Docket) -> None:
    with pytest.raises(InvalidTaskError, match="missing a required argument: 'name'"):
        await docket.add(send_followup_email, key="followup")(12345)  # type: ignore[call-arg]

    assert await stored_keys(docket) == []


async def test_an_unknown_keyword_argument_is_refused_naming_it(docket: Docket) -> None:
    with pytest.raises(InvalidTaskError, match="unexpected keyword argument 'email'"):
        await docket.add(send_followup_email, when=tomorrow())(  # type: ignore[call-arg]
            12345, "Jane", email="jane@example.com"
        )

    assert await stored_keys(docket) == []


async def test_replace_checks_the_arguments_too(docket: Docket) -> None:
    with pytest.raises(InvalidTaskError, match="cannot take these arguments"):
        await docket.replace(send_followup_email, when=tomorrow(), key="followup")(12345)  # type: ignore[call-arg]

    assert await stored_keys(docket) == []


async def test_a_partial_of_a_task_is_refused_saying_to_pass_the_function_itself(
    docket: Docket,
) -> None:
    with pytest.raises(InvalidTaskError, match=r"functools\.partial") as raised:
        await docket.add(functools.partial(send_followup_email, 12345))("Jane")

    assert "pass the async function itself" in str(raised.value)
    assert await stored_keys(docket) == []


async def test_an_async_generator_is_refused_saying_tasks_return_none(docket: Docket) -> None:
    async def stream() -> AsyncIterator[int]:
        yield 1

    with pytest.raises(InvalidTaskError, match="async generator"):
        docket.add(stream)  # type: ignore[arg-type]

    assert await stored_keys(docket) == []


@pytest.mark.parametrize("name", ["orders{1}", "{orders}", "orders}", ""])
def test_a_docket_name_with_braces_or_empty_is_refused_at_construction(name: str) -> None:
    with pytest.raises(InvalidScheduleError, match="without braces") as raised:
        Docket(name=name, url="memory://bad-names")

    assert "Docket(name='orders')" in str(raised.value)


async def test_a_url_with_an_unknown_scheme_is_refused_listing_the_schemes() -> None:
    with pytest.raises(ValueError, match="unknown scheme") as raised:
        async with Docket(name="orders", url="http://localhost:8080"):
            pass

    for scheme in ("redis://", "rediss://", "unix://", "memory://"):
        assert scheme in str(raised.value)


async def test_scheduling_on_a_docket_that_is_not_open_says_to_use_async_with() -> None:
    docket = Docket(name="orders", url="memory://not-opened")

    with pytest.raises(RuntimeError, match="async with Docket"):
        await docket.add(send_followup_email)(12345, "Jane")
    with pytest.raises(RuntimeError, match="async with Docket"):
        await docket.cancel("anything")


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: Retry(attempts=0), "at least 1 attempt"),
        (lambda: Retry(attempts=3, delay=timedelta(seconds=-1)), "cannot be negative"),
        (
            lambda: ExponentialRetry(
                attempts=3, minimum_delay=timedelta(seconds=4), maximum_delay=timedelta(seconds=2)
            ),
            "shorter than minimum_delay",
        ),
    ],
)
def test_impossible_retry_policies_are_refused_when_defined(make: Any, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        make()
