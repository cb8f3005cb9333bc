"""A call that matches a strike is refused at add: nothing is scheduled, and it says so."""

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from docket import Disposition, Docket, Execution
from docket._strike_follow import following_strikes
from docket.testing import assert_no_tasks, assert_task_count

from .conftest import OpenPeer


async def send_email(customer_id: int, name: str = "Jane", priority: str = "low") -> None: ...


async def sync(customer_id: int) -> None: ...


def refused(execution: Execution) -> bool:
    return execution.disposition is Disposition.STRUCK and not execution.scheduled


async def test_a_struck_task_is_refused_at_add_and_nothing_is_pending(docket: Docket) -> None:
    await docket.strike(send_email)

    execution = await docket.add(send_email)(12345)
    later = await docket.add(send_email, when=datetime.now(UTC) + timedelta(hours=1))(1)
    by_name = await docket.add("send_email", key="k")(2)

    assert refused(execution)
    assert refused(later)
    assert refused(by_name)
    assert execution.struck
    await assert_no_tasks(docket)
    assert (await docket.add(sync)(12345)).disposition is Disposition.SCHEDULED


async def test_replace_and_both_bulk_forms_refuse_struck_calls_and_keep_the_rest(
    docket: Docket,
) -> None:
    await docket.strike(None, "customer_id", "==", 2)
    when = datetime.now(UTC) + timedelta(hours=1)

    replaced = await docket.replace(sync, when=when, key="r")(2)
    for atomic in (False, True):
        executions = await docket.add_many(
            [docket.call(sync)(1), docket.call(sync)(2), docket.call(send_email)(3)],
            atomic=atomic,
        )
        assert [e.disposition for e in executions] == [
            Disposition.SCHEDULED,
            Disposition.STRUCK,
            Disposition.SCHEDULED,
        ]
    replaced_many = await docket.replace_many([docket.call(sync, when, "r2")(2)], atomic=True)

    assert refused(replaced)
    assert refused(replaced_many[0])
    await assert_task_count(docket, sync, count=2)
    await assert_task_count(docket, send_email, count=2)


async def test_restore_lets_calls_through_again(docket: Docket) -> None:
    await docket.strike("send_email")
    assert refused(await docket.add(send_email)(1))

    assert await docket.restore(send_email) == 0  # nothing was held

    assert docket.strikes == []
    assert (await docket.add(send_email)(1)).scheduled


@pytest.mark.parametrize(
    ("operator", "value", "struck", "not_struck"),
    [
        ("==", 123, 123, 124),
        ("!=", 123, 124, 123),
        (">", 100, 101, 100),
        (">=", 100, 100, 99),
        ("<", 100, 99, 100),
        ("<=", 100, 100, 101),
        ("between", (100, 200), 200, 201),
        ("between", (100, 200), 100, 99),
    ],
)
async def test_each_operator_strikes_what_it_says(
    docket: Docket, operator: Any, value: Any, struck: int, not_struck: int
) -> None:
    await docket.strike(None, "customer_id", operator, value)

    assert refused(await docket.add(sync)(struck))  # positional: bound to the signature
    assert refused(await docket.add(send_email)(customer_id=struck))
    assert (await docket.add(sync)(not_struck)).scheduled


async def test_a_parameter_strike_of_one_task_leaves_other_tasks_alone(docket: Docket) -> None:
    await docket.strike("sync", "customer_id", "between", (100, 200))

    assert refused(await docket.add(sync)(150))
    assert (await docket.add(send_email)(150)).scheduled


async def test_defaults_count_but_markers_do_not(docket: Docket) -> None:
    await docket.strike(send_email, "priority", "==", "low")

    assert refused(await docket.add(send_email)(1))  # priority defaults to "low"
    assert (await docket.add(send_email)(1, priority="high")).scheduled


async def test_by_name_without_the_function_only_keyword_arguments_count(
    docket: Docket,
) -> None:
    await docket.strike(None, "customer_id", "==", 7)

    assert (await docket.add("not_known_here")(7)).scheduled  # no signature to bind to
    assert refused(await docket.add("not_known_here")(customer_id=7))


async def test_an_incompatible_comparison_is_not_a_strike_and_says_so_once(
    docket: Docket, caplog: pytest.LogCaptureFixture
) -> None:
    await docket.strike(None, "customer_id", ">", 100)

    with caplog.at_level(logging.WARNING, logger="docket.strikes"):
        first = await docket.add(sync)("abc")  # type: ignore[arg-type]
        second = await docket.add(sync)("def")  # type: ignore[arg-type]

    assert first.scheduled
    assert second.scheduled
    warnings = [r.getMessage() for r in caplog.records if r.name == "docket.strikes"]
    assert len(warnings) == 1
    assert "cannot compare a str argument" in warnings[0]


async def test_strikes_are_listed_and_each_named_once(docket: Docket) -> None:
    await docket.strike(send_email)
    await docket.strike("send_email")  # the same strike
    await docket.strike(None, "customer_id", "between", [1, 2])

    assert sorted(str(strike) for strike in docket.strikes) == [
        "any task where customer_id between 1 and 2",
        "send_email",
    ]


async def test_another_client_sees_a_strike_within_100_ms(
    docket: Docket, open_peer: OpenPeer
) -> None:
    from ..helpers import wait_until

    peer = await open_peer()
    assert await following_strikes(peer, 5)

    await docket.strike(send_email)
    await wait_until(lambda: bool(peer.strikes), within=0.1, what="the peer to see the strike")
    assert refused(await peer.add(send_email)(1))

    await docket.restore(send_email)
    await wait_until(lambda: not peer.strikes, within=0.1, what="the peer to see the restore")
    assert (await peer.add(send_email)(1)).scheduled


async def test_a_client_opened_later_loads_the_strikes_in_effect(
    docket: Docket, open_peer: OpenPeer
) -> None:
    await docket.strike(None, "customer_id", "==", 5)

    later = await open_peer()

    assert [s.parameter for s in later.strikes] == ["customer_id"]  # read in __aenter__
    assert refused(await later.add(sync)(5))


async def test_strike_needs_an_open_docket() -> None:
    closed = Docket(name="never-opened", url="memory://never-opened")

    with pytest.raises(RuntimeError, match="is not open"):
        await closed.strike(send_email)
    assert closed.strikes == []
