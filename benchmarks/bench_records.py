"""Redis memory per finished execution record (execution_ttl above 0, the default).

Runs 10,000 tasks called with `(12345, "Jane Smith")` on a fresh, private redis-server, once
returning None and once returning a small dict, and divides the growth of INFO memory's
used_memory from before the tasks were added to after the worker drained them (the stream is
empty again, so what remains is the records) by 10,000. MEMORY USAGE of one record, for
detail. With `execution_ttl=timedelta(0)` nothing remains (tests/records checks that).
"""

import asyncio
import uuid
from typing import Any

import pytest
from docket import Docket, Worker

from ._support import Benchmark, private_redis_server, report

TASKS = 10_000
BATCH = 1000


async def record_footprint(url: str, returns: Any) -> tuple[float, int]:
    """(bytes of used_memory per finished record, MEMORY USAGE of one record)."""
    async with Docket(f"records-{uuid.uuid4().hex}", url) as docket:

        async def send_followup_email(customer_id: int, name: str) -> Any:
            return returns

        docket.register(send_followup_email)
        async with Worker(docket):  # the consumer group exists before the baseline
            pass
        client: Any = docket.backend.client
        before = int((await client.info("memory"))["used_memory"])
        for start in range(0, TASKS, BATCH):
            await docket.add_many(
                docket.call(send_followup_email, key=f"email-{n}")(12345, "Jane Smith")
                for n in range(start, start + BATCH)
            )
        async with Worker(docket, concurrency=100) as worker:
            await worker.run_until_finished()
        after = int((await client.info("memory"))["used_memory"])
        one = int(await client.memory_usage(docket.keys.task("email-0")))
    return (after - before) / TASKS, one


@pytest.mark.timeout(300)
@pytest.mark.parametrize("returns", ["none", "dict"])
def test_memory_per_finished_execution_record(benchmark: Benchmark, returns: str) -> None:
    value = None if returns == "none" else {"sent": True, "message_id": "0001-abcd"}
    with private_redis_server() as server:
        per_record, one = benchmark.pedantic(
            lambda: asyncio.run(record_footprint(server.url, value)), rounds=1, iterations=1
        )
    report(benchmark, f"bytes per finished record, result {returns}", per_record, "B")
    report(benchmark, f"MEMORY USAGE of one record, result {returns}", one, "B")
