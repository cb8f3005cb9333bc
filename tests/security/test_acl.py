"""Least-privilege Redis users, made with a real ACL SETUSER from `docket acl ROLE`'s rules: each
role does its work, and what it may not do is refused with a DocketPermissionError (or, in the
CLI, one line and exit 1) that names the user and what was refused."""

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from docket import (
    ConcurrencyLimit,
    Docket,
    DocketPermissionError,
    ExecutionProgress,
    ExecutionState,
    Progress,
    Retry,
    Worker,
)
from docket._permissions import ROLES, Role, acl_rules

from ..cli.commands import docket_command
from ..cli.conftest import DOCKET_SCRIPT

PASSWORD = "s3cret-pw"


class Users:
    """ACL users made on the suite's Redis for one docket, deleted afterwards."""

    def __init__(self, redis_url: str, docket: str) -> None:
        self.admin = redis.Redis.from_url(redis_url)
        parts = urlsplit(redis_url)
        self.address = f"{parts.hostname}:{parts.port}{parts.path}"
        self.docket = docket
        self.made: list[str] = []

    def url(self, role: Role, *, rules: list[str] | None = None) -> str:
        """The URL of a new user with `role`'s rules (or `rules`)."""
        user = f"{role}-{uuid.uuid4().hex[:8]}"
        wanted = acl_rules(role, self.docket) if rules is None else rules
        acl = self.admin.execute_command  # (redis-py leaves it untyped)
        acl("ACL", "SETUSER", user, "reset", "on", f">{PASSWORD}", *wanted)  # type: ignore[no-untyped-call]
        self.made.append(user)
        return f"redis://{user}:{PASSWORD}@{self.address}"

    def close(self) -> None:
        if self.made:
            self.admin.execute_command("ACL", "DELUSER", *self.made)  # type: ignore[no-untyped-call]
        self.admin.close()


@pytest.fixture
def name() -> str:
    return f"acl-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def users(redis_url: str, name: str) -> Iterator[Users]:
    made = Users(redis_url, name)
    yield made
    made.close()


@pytest.fixture
async def producer(users: Users, name: str) -> AsyncIterator[Docket]:
    async with Docket(name, users.url("producer")) as docket:
        yield docket


async def greet(n: int, progress: ExecutionProgress = Progress()) -> int:
    await progress.set_total(1)
    await progress.increment()
    return n * 2


async def flaky(n: int, retry: Retry = Retry(attempts=2)) -> None:
    raise ValueError("flaky")


async def limited(customer: int, limit: ConcurrencyLimit = ConcurrencyLimit("customer")) -> int:
    return customer


TASKS: list[Any] = [greet, flaky, limited]


async def test_a_producer_and_a_worker_each_do_their_part_with_only_their_rules(
    users: Users, producer: Docket, name: str
) -> None:
    for task in TASKS:
        producer.register(task)
    later = await producer.add(greet, when=datetime.now(UTC) + timedelta(hours=1), key="later")(1)
    await producer.replace(greet, when=datetime.now(UTC), key="later")(2)
    keyed = await producer.add(greet, key="keyed")(3)
    await producer.add(greet, key="gone", when=datetime.now(UTC) + timedelta(hours=1))(4)
    assert await producer.cancel("gone")
    await producer.add_many([producer.call(greet)(5), producer.call(greet)(6)], atomic=True)
    await producer.add(flaky, key="flaky")(1)
    await producer.add(limited, key="limited")(7)
    assert later.scheduled
    assert keyed.scheduled

    async with Docket(name, users.url("worker")) as worker_docket:
        for task in TASKS:
            worker_docket.register(task)
        async with Worker(worker_docket) as worker:
            result = asyncio.ensure_future(keyed.get_result(timeout=timedelta(seconds=10)))
            await worker.run_until_finished()
            assert await result == 6

    replaced = await producer.get_execution("later")
    failed = await producer.get_execution("flaky")
    assert replaced is not None
    assert replaced.state is ExecutionState.COMPLETED
    assert await replaced.get_result() == 4
    assert failed is not None
    assert failed.state is ExecutionState.FAILED
    assert failed.attempt == 2
    cancelled = await producer.get_execution("gone")
    assert cancelled is not None
    assert cancelled.state is ExecutionState.CANCELLED


async def test_a_producer_may_not_consume_and_the_error_names_what_is_missing(
    producer: Docket,
) -> None:
    with pytest.raises(DocketPermissionError) as refused:
        async with Worker(producer):
            pass

    message = str(refused.value)
    assert "may not use the XGROUP" in message or "may not use the XREADGROUP" in message
    assert "the Redis user 'producer-" in message
    assert PASSWORD not in message


async def test_a_user_confined_to_one_docket_cannot_open_another(users: Users) -> None:
    url = users.url("producer")

    with pytest.raises(DocketPermissionError, match="may not use a key outside its key patterns"):
        async with Docket("someone-else", url):
            pass


async def test_a_refusal_inside_a_script_names_the_command_it_called(
    users: Users, name: str
) -> None:
    async with Docket(name, users.url("operator")) as operator:
        with pytest.raises(DocketPermissionError) as refused:
            await operator.add(greet, key="k")(1)

    message = str(refused.value)
    assert "could not" in message
    assert "may not use the " in message
    called = message.split("may not use the ", 1)[1].split(" command", 1)[0]
    assert called.isupper()
    assert called in {"EXISTS", "HGET", "HSET", "XADD", "ZADD", "XDEL"}


@pytest.mark.parametrize("role", ROLES)
async def test_no_role_may_run_server_wide_commands(users: Users, role: Role) -> None:
    async with Docket(users.docket, users.url(role)) as docket:
        with pytest.raises(DocketPermissionError, match="may not use the FLUSHALL command"):
            await docket.backend.transport.execute("FLUSHALL")
        with pytest.raises(DocketPermissionError, match="may not use the CONFIG"):
            await docket.backend.transport.execute("CONFIG", "SET", "maxmemory", "1")


async def test_the_operator_runs_the_read_only_commands_and_may_not_change_anything(
    users: Users, producer: Docket, name: str
) -> None:
    producer.register(greet)
    await producer.add(greet, key="shown", when=datetime.now(UTC) + timedelta(hours=1))(1)
    operator = {"DOCKET_URL": users.url("operator"), "DOCKET_NAME": name}

    for command in (
        ["show", "shown"],
        ["strikes"],
        ["dead", "ls"],
        ["snapshot"],
        ["workers", "ls"],
    ):
        result = await docket_command(*command, env=operator)
        assert (result.code, result.stderr) == (0, ""), command

    struck = await docket_command("strike", "greet", env=operator)
    line = struck.error_line()
    assert "may not use the HSET command" in line or "may not use the HDEL command" in line
    assert PASSWORD not in line
    assert await producer.get_execution("shown") is not None  # nothing changed


async def test_a_worker_started_as_a_producer_exits_with_one_line(users: Users, name: str) -> None:
    url = users.url("producer")

    result = await docket_command(
        *("worker", "--tasks", "docket.tasks:standard_tasks", "--url", url, "--docket", name)
    )

    line = result.error_line()
    assert line.startswith("Error: could not start a worker"), line
    assert "may not use the XGROUP" in line or "may not use the XREADGROUP" in line
    assert PASSWORD not in result.stderr


def test_docket_acl_prints_the_rules_acl_setuser_takes(users: Users, name: str) -> None:
    printed = subprocess.run(
        [str(DOCKET_SCRIPT), "acl", "producer", "--docket", name],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.split()

    assert printed == acl_rules("producer", name)
    assert f"~{{{name}}}:*" in printed
    assert "-@all" in printed
    users.url("producer", rules=printed)  # Redis takes them as they are
