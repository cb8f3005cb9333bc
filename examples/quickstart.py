"""docket end to end: schedule immediate, future, keyed, replaced, cancelled, retried and
self-perpetuating tasks, then run a worker until they are all done.

    uv run examples/quickstart.py                                  # in-process memory:// docket
    DOCKET_URL=redis://localhost:6379/0 uv run examples/quickstart.py   # a real Redis server
"""

import asyncio
import logging
import os
import uuid
from datetime import UTC, datetime, timedelta

from docket import CurrentDocket, Docket, Retry, TaskKey, Worker


def now() -> datetime:
    return datetime.now(UTC)


def say(message: str) -> None:
    print(f"{now():%H:%M:%S.%f}"[:-3], message, flush=True)


async def send_welcome_email(customer_id: int, name: str) -> None:
    say(f"welcome email to {name} (customer {customer_id})")


async def send_followup_email(customer_id: int, name: str) -> None:
    say(f"follow-up email to {name} (customer {customer_id})")


async def faily(retry: Retry = Retry(attempts=5, delay=timedelta(milliseconds=200))) -> None:
    if retry.attempt == 4:
        say(f"faily: whew! succeeded on attempt {retry.attempt}")
        return
    say(f"faily: attempt {retry.attempt} fails, docket will retry")
    raise ValueError("whoops!")


async def poll_for_changes(
    polls_left: int, key: str = TaskKey(), docket: Docket = CurrentDocket()
) -> None:
    if polls_left == 0:
        say(f"poll {key}: found the change, chain ends")
        return
    say(f"poll {key}: nothing yet, polling again in 100 ms ({polls_left} left)")
    await docket.add(poll_for_changes, when=now() + timedelta(milliseconds=100), key=key)(
        polls_left - 1
    )


async def main() -> None:
    url = os.environ.get("DOCKET_URL", "memory://quickstart")
    name = f"quickstart-{uuid.uuid4().hex[:8]}"
    say(f"docket {name!r} on {url.split('@')[-1]}")
    async with Docket(name=name, url=url) as docket, Worker(docket, concurrency=10) as worker:
        await docket.add(send_welcome_email)(12345, "Jane Smith")

        soon = now() + timedelta(milliseconds=300)
        key = "followup-for-12345"
        await docket.add(send_followup_email, when=soon, key=key)(12345, "Jane Smith")
        await docket.add(send_followup_email, when=soon, key=key)(12345, "Jane Smith")
        say(f"scheduled {key} for in 300 ms; adding it again did nothing")

        await docket.replace(send_followup_email, when=soon, key=key)(12345, "Jane Q. Smith")
        say(f"replaced {key}: new arguments")

        await docket.add(send_followup_email, when=soon, key="followup-for-999")(999, "Nobody")
        await docket.cancel("followup-for-999")
        say("scheduled and cancelled followup-for-999")

        await docket.add(faily)()
        await docket.add(poll_for_changes, key="poll-inbox")(3)

        await worker.run_until_finished()
        stats = worker.statistics()
    say(f"done: {stats.succeeded} succeeded, {stats.retried} retried, {stats.failed} failed")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    asyncio.run(main())
