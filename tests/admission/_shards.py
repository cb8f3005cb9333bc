"""Keys for the admission tests that check an order: a sharded docket promises the order of
due tasks within a shard, not across shards (README, "One docket over many masters")."""

from docket import Docket
from docket._keys import shard_of


def keys_on_one_shard(docket: Docket, prefix: str, count: int) -> list[str]:
    """`count` keys starting with `prefix` that all live on the docket's first shard."""
    found: list[str] = []
    n = 0
    while len(found) < count:
        key = f"{prefix}-{n}"
        n += 1
        if shard_of(key, docket.shards) == 0:
            found.append(key)
    return found
