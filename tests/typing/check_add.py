"""Type-checked, never run: docket.add(fn)(...) is checked against the task's own signature.

mypy (strict, warn_unused_ignores) runs over this file; each `type: ignore` marks a call that
must be rejected, so removing the error from docket's types makes mypy fail here.
"""

from datetime import UTC, datetime
from typing import assert_type

from docket import Call, Docket, Execution


async def send(customer_id: int, name: str) -> None: ...


async def check(docket: Docket) -> None:
    assert_type(await docket.add(send)(1, "a"), Execution)
    assert_type(await docket.add(send, when=datetime.now(UTC), key="k")(1, name="a"), Execution)
    assert_type(await docket.replace(send, datetime.now(UTC), "k")(1, "a"), Execution)
    assert_type(await docket.add("send")(1, "anything", goes=True), Execution)
    assert_type(await docket.cancel("k"), bool)
    assert_type(docket.call(send)(1, "a"), Call)
    assert_type(await docket.add_many([docket.call(send)(1, "a")]), list[Execution])

    await docket.add(send)("not an int", "a")  # type: ignore[arg-type]
    await docket.add(send)(1)  # type: ignore[call-arg]
    await docket.replace(send, datetime.now(UTC), "k")(1, 2)  # type: ignore[arg-type]
    docket.call(send)(1, 2)  # type: ignore[arg-type]
