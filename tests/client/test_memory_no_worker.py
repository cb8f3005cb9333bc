"""A task added to a memory:// docket that no worker of this process serves: warned once."""

import logging
import uuid
from datetime import UTC, datetime

import pytest
from docket import Docket, Worker


async def task() -> None: ...


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "docket.client"
        and r.levelno == logging.WARNING
        and "no Worker" in r.getMessage()
    ]


async def test_adding_with_no_worker_in_the_process_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"memory://{uuid.uuid4().hex}"
    with caplog.at_level(logging.WARNING, logger="docket.client"):
        async with Docket("orders", url) as docket:
            await docket.add(task)()
            await docket.add_many([docket.call(task)(), docket.call(task)()])
            await docket.replace(task, when=datetime.now(UTC), key="k")()

    [warning] = warnings_in(caplog)
    assert url in warning
    assert "'orders'" in warning
    assert "docket worker" in warning  # says why a separate worker process cannot help


async def test_no_warning_once_a_worker_exists_in_the_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"memory://{uuid.uuid4().hex}"
    with caplog.at_level(logging.WARNING, logger="docket.client"):
        async with Docket("orders", url) as docket:
            docket.register(task)
            async with Worker(docket).running():
                await docket.add(task)()
        async with Docket("orders", url) as again:  # the same engine, later in the process
            await again.add(task)()

    assert warnings_in(caplog) == []


async def test_a_redis_docket_never_warns(redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="docket.client"):
        async with Docket(f"orders-{uuid.uuid4().hex}", redis_url) as docket:
            await docket.add(task)()

    assert warnings_in(caplog) == []
