"""docket.testing: assertions about what a docket has pending, with messages that say what is."""

from datetime import UTC, datetime, timedelta

import pytest
from docket import Docket, Worker
from docket.testing import (
    assert_no_tasks,
    assert_task_count,
    assert_task_not_scheduled,
    assert_task_scheduled,
)


async def send_welcome(user_id: int, email: str = "", tier: str = "free") -> None: ...


async def send_reminder(user_id: int) -> None: ...


def tomorrow() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)


async def test_a_scheduled_call_is_found_by_function_name_args_kwargs_and_key(
    docket: Docket,
) -> None:
    await docket.add(send_welcome, key="welcome-7")(7, email="a@x", tier="pro")
    await docket.add(send_reminder, when=tomorrow(), key="remind-7")(7)

    await assert_task_scheduled(docket, send_welcome)
    await assert_task_scheduled(docket, "send_welcome", key="welcome-7")
    await assert_task_scheduled(docket, send_welcome, args=(7,))
    await assert_task_scheduled(docket, send_welcome, kwargs={"tier": "pro"})  # a subset
    await assert_task_scheduled(docket, send_reminder, args=(7,), key="remind-7")  # parked
    await assert_task_not_scheduled(docket, send_welcome, args=(8,))
    await assert_task_not_scheduled(docket, send_welcome, kwargs={"tier": "free"})
    await assert_task_count(docket, count=2)
    await assert_task_count(docket, send_reminder, count=1)


async def test_a_failing_assertion_lists_what_is_pending(docket: Docket) -> None:
    await docket.add(send_welcome, key="welcome-7")(7, email="a@x")

    with pytest.raises(AssertionError) as raised:
        await assert_task_scheduled(docket, send_welcome, args=(8,))

    message = str(raised.value)
    assert "no pending task matches function=send_welcome, args=(8,)" in message
    assert "send_welcome(7, email='a@x') key='welcome-7' queued" in message


async def test_count_and_not_scheduled_failures_say_what_they_found(docket: Docket) -> None:
    await docket.add(send_reminder, when=tomorrow(), key="remind-1")(1)

    with pytest.raises(AssertionError, match="expected 2 pending calls of send_reminder, found 1"):
        await assert_task_count(docket, send_reminder, count=2)
    with pytest.raises(AssertionError, match=r"(?s)1 pending task\(s\) match .*scheduled for"):
        await assert_task_not_scheduled(docket, send_reminder)
    with pytest.raises(AssertionError, match="expected no pending tasks, found 1"):
        await assert_no_tasks(docket)


async def test_running_and_finished_tasks_are_not_pending(docket: Docket, worker: Worker) -> None:
    await assert_no_tasks(docket)
    await docket.add(send_welcome)(1)
    await worker.run_until_finished()

    await assert_no_tasks(docket)
    with pytest.raises(AssertionError, match="nothing is pending"):
        await assert_task_scheduled(docket, send_welcome)


async def test_cancelled_and_replaced_calls_are_what_the_assertions_see(docket: Docket) -> None:
    await docket.add(send_reminder, when=tomorrow(), key="remind-1")(1)
    await docket.replace(send_reminder, tomorrow(), "remind-1")(2)
    await docket.add(send_reminder, when=tomorrow(), key="remind-3")(3)
    await docket.cancel("remind-3")

    await assert_task_scheduled(docket, send_reminder, args=(2,))
    await assert_task_not_scheduled(docket, send_reminder, args=(1,))
    await assert_task_count(docket, send_reminder, count=1)
