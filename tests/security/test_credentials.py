"""Docket(credential_provider=...) on a real server whose password changes while a worker runs:
the open connections authenticate again with the new token, and once the old password is gone
and every connection is dropped, they all come back with the new one and no task is lost."""

import asyncio
import uuid
from collections.abc import Iterator

import pytest
import redis
from docket import Docket, Worker
from redis.credentials import CredentialProvider

from ..helpers import wait_until
from ..redis_server import RedisServer, running_redis

USER = "rotating"


class RotatingToken(CredentialProvider):
    """Hands out the current token, as a managed Redis's IAM/Entra provider would."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.asked = 0

    def get_credentials(self) -> tuple[str, str]:
        self.asked += 1
        return USER, self.token

    async def get_credentials_async(self) -> tuple[str, str]:
        return self.get_credentials()


@pytest.fixture
def server() -> Iterator[RedisServer]:
    with running_redis() as started:
        admin = started.client()
        acl(admin, "on", ">first", "~*", "&*", "+@all")
        admin.close()
        yield started


def acl(admin: "redis.Redis", *rules: str) -> None:
    admin.execute_command("ACL", "SETUSER", USER, *rules)  # type: ignore[no-untyped-call]


def auth_calls(admin: "redis.Redis") -> int:
    stats = admin.info("commandstats")
    return int(stats.get("cmdstat_auth", {}).get("calls", 0))


async def test_connections_follow_a_rotating_token_and_nothing_is_lost(
    server: RedisServer,
) -> None:
    admin = server.client()
    token = RotatingToken("first")
    ran: list[int] = []

    async def record(n: int) -> None:
        ran.append(n)

    docket = Docket(f"rotate-{uuid.uuid4().hex[:8]}", server.url, credential_provider=token)
    async with docket, Worker(docket).running():
        docket.register(record)
        for n in range(5):
            await docket.add(record)(n)
        await wait_until(lambda: len(ran) == 5, what="the first tasks to run")

        before = auth_calls(admin)
        acl(admin, ">second")  # the new token works; so does the old
        token.token = "second"
        await wait_until(
            lambda: auth_calls(admin) >= before + 2, within=15, what="open connections to AUTH"
        )

        acl(admin, "<first")  # the old token expires...
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=server.port, username=USER, password="first").ping()
        admin.client_kill_filter(user=USER)  # ...and the server drops every connection

        for n in range(5, 10):
            await docket.add(record)(n)
        await wait_until(lambda: len(ran) == 10, within=15, what="the later tasks to run")
    admin.close()

    assert sorted(ran) == list(range(10))
    assert token.asked > 2  # asked on every connect and at each refresh


async def test_credentials_in_the_url_and_a_provider_together_are_refused(
    server: RedisServer,
) -> None:
    url = server.url.replace("redis://", f"redis://{USER}:first@")

    with pytest.raises(Exception, match="credential_provider"):
        async with Docket("both", url, credential_provider=RotatingToken("first")):
            await asyncio.sleep(0)
