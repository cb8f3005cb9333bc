"""Every Redis key and channel name of a docket, and task-key generation; nothing else builds them.

All of a docket's keys share the hash tag ``{name}``, so a docket lives in one cluster slot and
dockets with different names never touch each other's keys. User task keys sit under
``{name}:task:`` and cannot collide with the internal keys.

A docket of N shards (``Docket(shards=N)``, see _sharding.py) keeps the work of shard i under
the tag ``{name:i}`` instead, so its shards land on different cluster slots; what belongs to
the docket as a whole (its workers, their statistics, the number of shards, the strikes channel)
stays under ``{name}``.
"""

import dataclasses
import os
import zlib
from dataclasses import dataclass

from ._errors import InvalidScheduleError

CONSUMER_GROUP = "docket-workers"


@dataclass(frozen=True, slots=True)
class DocketKeys:
    """The names of one docket's Redis keys."""

    name: str
    stream: str
    queue: str
    dead: str
    wake: str
    cancel: str
    """Channel of the notices that tell workers to stop a running task (cancel, replace)."""
    task_prefix: str
    workers: str
    events_prefix: str
    """Prefix of the per-key channels on which state changes and progress are announced."""
    followed: str
    """Sorted set of the keys someone follows now (score: until when, epoch ms), so the
    scripts announce only what somebody listens to."""
    strikes: str
    """Hash of the strikes in effect: canonical id -> encoded strike (see docket._strikes)."""
    strikes_changed: str
    """Channel on which each change of the strikes is announced."""
    held: str
    """Sorted set of the task keys of struck executions a worker holds (score: when, ms)."""
    worker_prefix: str = ""
    """Prefix of each live worker's heartbeat hash (see docket._workers); `workers` is the
    sorted set of their names, scored by when each one's heartbeat expires (epoch ms)."""
    stats_prefix: str = ""
    """Prefix of the per-minute hashes of the runs the workers finished (docket._task_stats)."""
    group: str = CONSUMER_GROUP
    tag: str = ""
    """The hash tag of the work's keys: ``{name}``, or ``{name:i}`` for shard i."""
    shards: str = ""
    """The string key that records a sharded docket's number of shards (docket-level)."""

    @classmethod
    def for_docket(cls, name: str) -> "DocketKeys":
        if not isinstance(name, str) or not name or "{" in name or "}" in name:
            raise InvalidScheduleError(
                f"docket name {name!r} cannot be used: give a non-empty name without braces, "
                "e.g. Docket(name='orders')."
            )
        check_encodable(name, "name")
        tag = "{" + name + "}"
        return cls(
            name=name,
            workers=f"{tag}:workers",
            strikes_changed=f"{tag}:strikes-changed",
            worker_prefix=f"{tag}:worker:",
            shards=f"{tag}:shards",
            stats_prefix=f"{tag}:stats:",
            **_work_keys(tag),
        )

    def shard(self, index: int) -> "DocketKeys":
        """The keys of shard `index` of this docket: its work under ``{name:index}``; the
        workers, the shard count and the strikes channel stay the docket's."""
        return dataclasses.replace(self, **_work_keys("{" + f"{self.name}:{index}" + "}"))

    def task(self, key: str) -> str:
        """The hash that records the pending execution of a task key (and, once it is over,
        its record, while the docket keeps them: see _record.py)."""
        return self.task_prefix + key

    def limit(self, kind: str, scope: str) -> str:
        """The key (or key prefix) of an admission limit: `kind` is concurrency, rate,
        debounce or cooldown; `scope` names the task or scope and, if any, the argument's
        value (see docket_worker._admission)."""
        return f"{self.tag}:{kind}:{scope}"

    def worker(self, name: str) -> str:
        """The heartbeat hash of the worker named `name` (expires unless it beats again)."""
        return self.worker_prefix + name

    def stats(self, minute: int) -> str:
        """The hash of what the workers finished in epoch minute `minute` (docket-level)."""
        return f"{self.stats_prefix}{minute}"

    def events(self, key: str) -> str:
        """The channel on which the state changes and progress of a task key are announced."""
        return self.events_prefix + key


def _work_keys(tag: str) -> dict[str, str]:
    """The keys of the work under hash tag `tag` (a docket's, or one shard's)."""
    return {
        "stream": f"{tag}:stream",
        "queue": f"{tag}:queue",
        "dead": f"{tag}:dead",
        "wake": f"{tag}:wake",
        "cancel": f"{tag}:cancel",
        "task_prefix": f"{tag}:task:",
        "events_prefix": f"{tag}:events:",
        "followed": f"{tag}:followed",
        "strikes": f"{tag}:strikes",
        "held": f"{tag}:held",
        "tag": tag,
    }


def shard_of(key: str, shards: int) -> int:
    """The shard that holds task key `key` on a docket of `shards` shards (CRC-32 of the key,
    the same in every process and language)."""
    return zlib.crc32(key.encode()) % shards if shards > 1 else 0


def new_task_key() -> str:
    """A fresh random key (a version 4 UUID) for a task scheduled without one."""
    h = os.urandom(16).hex()
    # The same text str(uuid4()) gives, built without the UUID object: version 4, RFC variant.
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def check_task_key(key: str) -> str:
    """Refuse keys that cannot name a task."""
    if not isinstance(key, str) or not key:
        raise InvalidScheduleError(
            f"key={key!r} cannot name a task: pass a non-empty string, or leave key out "
            "to get a random one."
        )
    check_encodable(key, "key")
    return key


def check_encodable(text: str, what: str) -> None:
    """Refuse text Redis cannot store as UTF-8 (a lone surrogate, say)."""
    try:
        text.encode()
    except UnicodeEncodeError as error:
        raise InvalidScheduleError(
            f"{what}={text!r} cannot be stored: it is not valid Unicode text "
            f"({error.reason} at position {error.start}). Use text that encodes as UTF-8."
        ) from None
