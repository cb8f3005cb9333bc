"""Each open Docket follows the strikes: it reads them all again after losing its subscription,
so a change made while it was cut off is not missed."""

import uuid
from typing import Any

from docket import Disposition, Docket
from docket._strike_follow import following_strikes

from ..helpers import wait_until


async def sync(customer_id: int) -> None: ...


async def test_a_strike_made_while_the_subscription_was_lost_arrives_after_it_is_back(
    redis_url: str,
) -> None:
    name = f"test-{uuid.uuid4().hex}"
    async with Docket(name=name, url=redis_url) as follower, Docket(name, redis_url) as striker:
        assert await following_strikes(follower, 5)

        # Cut every subscriber off (the strike's notice then reaches nobody), then strike.
        client: Any = striker.backend.client
        await client.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        await striker.strike(sync, "customer_id", "==", 1)

        await wait_until(lambda: bool(follower.strikes), within=5, what="the reload")
        assert (await follower.add(sync)(1)).disposition is Disposition.STRUCK
        await striker.restore(sync, "customer_id", "==", 1)
        await wait_until(lambda: not follower.strikes, within=1, what="the restore")
