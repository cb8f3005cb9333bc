"""execution.disposition says what an add, a replace or a batch did with each call."""

from datetime import UTC, datetime, timedelta

from docket import Disposition, Docket


async def send(label: str) -> None: ...


def tomorrow() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)


async def test_add_and_replace_report_their_disposition(docket: Docket) -> None:
    first = await docket.add(send, when=tomorrow(), key="k")("first")
    again = await docket.add(send, when=tomorrow(), key="k")("again")
    replaced = await docket.replace(send, tomorrow(), "k")("replaced")

    assert first.disposition is Disposition.SCHEDULED
    assert again.disposition is Disposition.ALREADY_SCHEDULED
    assert not again.scheduled  # .scheduled stays, and agrees
    assert replaced.disposition is Disposition.SCHEDULED


async def test_add_many_reports_a_disposition_per_call(docket: Docket) -> None:
    await docket.add(send, when=tomorrow(), key="taken")("x")
    for atomic in (False, True):
        executions = await docket.add_many(
            [docket.call(send, key="taken")("y"), docket.call(send)("z")], atomic=atomic
        )
        assert [e.disposition for e in executions] == [
            Disposition.ALREADY_SCHEDULED,
            Disposition.SCHEDULED,
        ]
