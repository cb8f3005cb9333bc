"""Tasks whose annotations are strings (``from __future__ import annotations``), for
test_annotated.py and test_logged.py: docket resolves them in this module."""

from __future__ import annotations

from typing import Annotated

from docket import CurrentDocket, Depends, Docket, Logged, Retry, TaskKey

seen: list[tuple[object, ...]] = []


def greeting() -> str:
    return "hello"


async def annotated_task(
    customer_id: Annotated[int, Logged],
    key: Annotated[str, TaskKey()],
    docket: Annotated[Docket, CurrentDocket()],
    word: Annotated[str, Depends(greeting)],
    retry: Annotated[Retry, Retry(attempts=2)],
    secret: str = "",
) -> None:
    seen.append((customer_id, key, docket.name, word, retry.attempt))
    if retry.attempt == 1:
        raise ValueError("once")


async def unresolvable(
    customer_id: Annotated[int, Logged],
    other: NotDefinedAnywhere | None = None,  # type: ignore[name-defined]  # noqa: F821
) -> None:
    seen.append((customer_id,))
