"""Task signatures docket cannot honour are refused when the task is registered."""

from typing import Any

import pytest
from docket import (
    Docket,
    ExponentialRetry,
    InvalidTaskError,
    Retry,
    TaskArgument,
    TaskKey,
)


async def asks_for_its_own_argument(customer_id: int, name: Any = TaskArgument()) -> None:
    """A task parameter defaulting to TaskArgument(): meant for dependency functions."""


async def two_retry_policies(
    a: Retry = Retry(attempts=2), b: ExponentialRetry = ExponentialRetry(attempts=3)
) -> None:
    """Two retry policies: which one the worker should follow is unclear."""


async def one_retry_policy(retry: Retry = Retry(attempts=2), key: str = TaskKey()) -> None:
    """A task with one Retry and another marker."""


def test_a_task_parameter_defaulting_to_task_argument_is_refused_by_register() -> None:
    docket = Docket(name="checks", url="memory://checks")

    with pytest.raises(InvalidTaskError) as raised:
        docket.register(asks_for_its_own_argument)

    message = str(raised.value)
    assert "asks_for_its_own_argument" in message
    assert "'name'" in message
    assert "TaskArgument" in message
    assert "Depends" in message
    assert "asks_for_its_own_argument" not in docket.tasks


async def test_a_task_parameter_defaulting_to_task_argument_is_refused_by_add() -> None:
    async with Docket(name="checks", url="memory://checks") as docket:
        with pytest.raises(InvalidTaskError, match="'name'"):
            await docket.add(asks_for_its_own_argument)(1)

        assert await docket.backend.backlog() == (0, 0)


def test_a_task_with_two_retry_parameters_is_refused_naming_both() -> None:
    docket = Docket(name="checks", url="memory://checks")

    with pytest.raises(InvalidTaskError) as raised:
        docket.register(two_retry_policies)

    message = str(raised.value)
    assert "two_retry_policies" in message
    assert "'a'" in message
    assert "'b'" in message
    assert "two_retry_policies" not in docket.tasks


async def test_a_task_with_two_retry_parameters_is_refused_by_add() -> None:
    async with Docket(name="checks", url="memory://checks") as docket:
        with pytest.raises(InvalidTaskError, match=r"'a'.*'b'"):
            await docket.add(two_retry_policies)()


def test_a_task_with_one_retry_and_other_markers_registers() -> None:
    docket = Docket(name="checks", url="memory://checks")

    docket.register(one_retry_policy)

    assert docket.tasks["one_retry_policy"] is one_retry_policy
