"""Least privilege: the Redis ACL rules each kind of docket process needs, and the clear error a
refused command becomes.

Three roles, each confined to one docket's keys (``~{name}:*``) and channels (``&{name}:*``):

- ``producer``: schedules, replaces and cancels work, reads executions and waits for results
  (a web server);
- ``worker``: all a ``docket worker`` does (it also schedules: retries, perpetual tasks);
- ``operator``: the read-only commands (``docket show``, ``snapshot``, ``workers``,
  ``strikes``, ``dead ls``); ``docket watch`` also needs ``+zadd +zremrangebyscore`` on the
  docket's keys (following a key registers it, so the workers announce its changes).

A role's commands are those its processes send themselves plus every command of the scripts
they run (Redis checks the commands a script calls against the user's ACL too), read from the
scripts, so the rules keep up with them. ``docket acl ROLE`` prints them.
"""

import re
from typing import Literal, get_args
from urllib.parse import unquote, urlsplit

from ._errors import DocketPermissionError
from ._keys import DocketKeys
from ._scripts import (
    ACK,
    ADMIT,
    BY_SHA,
    CANCEL,
    EXECUTION,
    GATE,
    HANDBACK,
    HOLD,
    MOVE_DUE,
    PROGRESS,
    RECHECK,
    RELEASE,
    SCHEDULE,
    SCHEDULE_BATCH,
    UNHOLD,
    UNPARK,
    WAKE,
    Script,
)

Role = Literal["producer", "worker", "operator"]
ROLES: tuple[Role, ...] = get_args(Role)

_CONNECTION = ("ping", "select", "script|load", "evalsha", "subscribe", "unsubscribe")
_READING = (
    *("exists", "hget", "hmget", "hgetall", "xrange", "xrevrange", "xpending", "xlen"),
    *("zcard", "zcount", "zrange", "zrangebyscore", "zscore", "xinfo|groups"),
    "get",  # the number of shards the docket records, read at opening (docket._sharding)
)
_FOLLOWING = ("zadd", "zremrangebyscore")
"""Registering a followed key, so workers announce its changes (get_result, subscribe)."""
_CONSUMING = (
    *("xgroup|create", "xreadgroup", "xack", "xclaim", "xautoclaim", "xdel", "publish"),
    *("client|id", "client|unblock", "hset", "hdel", "del", "pexpire"),
)

_COUNTING = ("hincrby",)
"""The counts of finished runs each heartbeat adds to the docket's statistics (_task_stats)."""
_LAYOUT = ("set", "del")
"""Recording the number of shards, by the first client or worker of a new layout."""

_DIRECT: dict[Role, tuple[str, ...]] = {
    "producer": (*_CONNECTION, *_READING, *_FOLLOWING, "wait", *_LAYOUT),
    "worker": (*_CONNECTION, *_READING, *_FOLLOWING, "wait", *_CONSUMING, *_COUNTING, *_LAYOUT),
    "operator": (*_CONNECTION, *_READING),
}
"""The commands each role's processes send themselves (outside scripts)."""

_SCRIPTS: dict[Role, tuple[Script, ...]] = {
    "producer": (SCHEDULE, SCHEDULE_BATCH, CANCEL, EXECUTION),
    "worker": (
        *(SCHEDULE, ACK, ADMIT, RELEASE, HANDBACK, MOVE_DUE, PROGRESS, EXECUTION),
        *(HOLD, UNHOLD, GATE, WAKE, UNPARK, RECHECK),
    ),
    "operator": (EXECUTION,),
}
"""The scripts each role runs (the operator's only read). Requeueing dead letters, `clear` and
strikes (REQUEUE, STRIKE, clear.lua) need only commands the worker's rules already have."""

_CALL = re.compile(r"""redis\.p?call\(\s*['"]([A-Za-z]+)['"]""")


def script_commands(script: Script) -> set[str]:
    """The commands `script` may call, lower case, as ACL rules name them: those of its own
    file and of the prelude helpers sent with it (Redis checks each call, not the script)."""
    return {call.lower() for call in _CALL.findall(script.source)}


def role_commands(role: Role) -> list[str]:
    """Every command a process of `role` needs, sorted."""
    if role not in ROLES:
        raise ValueError(f"role {role!r} is not one of {', '.join(ROLES)}.")
    commands = set(_DIRECT[role])
    for script in _SCRIPTS[role]:
        commands |= script_commands(script)
    return sorted(commands)


def acl_rules(role: Role, docket: str, shards: int = 1) -> list[str]:
    """The ACL rules of a Redis user for `role` on the docket named `docket` (of `shards`
    shards: their tags too): give them to ``ACL SETUSER <user> on ><password> <rules...>``."""
    keys = DocketKeys.for_docket(docket)
    tags = [keys.tag] + ([keys.shard(i).tag for i in range(shards)] if shards > 1 else [])
    rules = ["resetkeys", *(f"~{tag}:*" for tag in tags), "resetchannels"]
    rules += [*(f"&{tag}:*" for tag in tags), "-@all"]
    return rules + [f"+{command}" for command in role_commands(role)]


_COMMAND = re.compile(r"'([\w|]+)' command")
_SCRIPT_SHA = re.compile(r"(?:f_|script: )([0-9a-f]{40})")
_SCRIPT_LINE = re.compile(r"@user_script:\s*(\d+)")


def refusal(error: BaseException) -> str | None:
    """What the ACL refused, when `error` is Redis refusing a command for want of permission:
    "the XADD command", "a key", "a channel" (None for any other error)."""
    text = str(error)
    if "NOPERM" not in text and "no permissions" not in text and "user executing" not in text:
        return None
    if "key" in text:
        return "a key outside its key patterns"
    if "channel" in text:
        return "a channel outside its channel patterns"
    named = _COMMAND.search(text)
    if named:
        return f"the {named.group(1).upper()} command"
    called = _called_in_script(text)
    return f"the {called.upper()} command" if called else "a command"


def _called_in_script(text: str) -> str | None:
    sha, line = _SCRIPT_SHA.search(text), _SCRIPT_LINE.search(text)
    if sha is None or line is None or sha.group(1) not in BY_SHA:
        return None
    lines = BY_SHA[sha.group(1)][1].source.splitlines()
    number = int(line.group(1))
    found = _CALL.search(lines[number - 1]) if 0 < number <= len(lines) else None
    return found.group(1) if found else None


def permission_error(
    error: BaseException, *, action: str, url: str, docket: str
) -> DocketPermissionError | None:
    """The DocketPermissionError for `error`, when it is an ACL refusal; else None."""
    if isinstance(error, DocketPermissionError):
        return error
    refused = refusal(error)
    if refused is None:
        return None
    user = unquote(urlsplit(url).username or "") or "default"
    command = refused.removeprefix("the ").removesuffix(" command")
    grant = (
        f"grant it (ACL SETUSER {user} +{command.lower()})"
        if refused.startswith("the ") and command != "a"
        else f"grant it (ACL SETUSER {user} ~{{{docket}}}:* &{{{docket}}}:*)"
    )
    return DocketPermissionError(
        f"could not {action}: the Redis user {user!r} may not use {refused} on docket "
        f"{docket!r} ({' '.join(str(error).split())}). Use a user with the rules of its role "
        f"(`docket acl producer|worker|operator --docket {docket}` prints them), or {grant}."
    )
