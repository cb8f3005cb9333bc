"""Admission: check a run's ConcurrencyLimit, RateLimit, Debounce and Cooldown markers in one
script call (admit.lua) before it starts, and give back its concurrency slots after it ends.

A rule applies to the task as a whole, or to each value of one argument (the marker names it,
or it annotates that parameter). Its Redis keys share the docket's hash tag, named by the
rule's scope (the task's name unless it gives one) and the argument's value.
"""

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from docket import Execution
from docket._admission import Admission, ConcurrencyLimit, Cooldown, Debounce, Fair, RateLimit
from docket._time import timedelta_to_ms

if TYPE_CHECKING:
    from ._worker import Worker

logger = logging.getLogger("docket.worker")

Verdict = Literal["run", "park", "later", "drop"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One admission marker of a task, and where its argument is in a call."""

    marker: Admission
    argument: str | None
    position: int | None
    """The argument's position among the positional parameters (None: keyword-only)."""


@dataclass(frozen=True, slots=True)
class Slot:
    """A slot a run holds (of a ConcurrencyLimit or a Fair): given back when the run ends."""

    kind: str
    """'c' for a ConcurrencyLimit, 'f' for Fair (see release.lua)."""
    holders: str
    waiting: str
    ranks: str
    most: int


def _value(execution: Execution, rule: Rule) -> str:
    if rule.argument is None:
        return ""
    if rule.argument in execution.kwargs:
        value = execution.kwargs[rule.argument]
    elif rule.position is not None and rule.position < len(execution.args):
        value = execution.args[rule.position]
    else:
        value = None
    return str(value)


def _key(worker: "Worker", execution: Execution, rule: Rule, kind: str, value: bool) -> str:
    scope = rule.marker.scope or execution.function_name
    if value and rule.argument is not None:
        scope += f":{rule.argument}={_value(execution, rule)}"
    return worker.root.docket.keys.limit(kind, scope)  # a sharded docket's: on its {name}


def _arguments(
    worker: "Worker", execution: Execution, rule: Rule
) -> tuple[tuple[str, str, str], tuple[str, int, int, str, str]]:
    """The three keys and the five values admit.lua takes for one rule."""
    marker = rule.marker
    lease_ms = timedelta_to_ms(worker.redelivery_timeout)
    if isinstance(marker, ConcurrencyLimit):
        base = _key(worker, execution, rule, "concurrency", True)
        holders = base + ":holders"
        reason = f"parked by {marker!r}"
        return (holders, base + ":waiting", holders), (
            "c",
            marker.max_concurrent,
            lease_ms,
            reason,
            "",
        )
    if isinstance(marker, Fair):
        base = _key(worker, execution, rule, "fair", False)
        keys = (base + ":holders", base + ":waiting", base + ":ranks")
        value = _value(execution, rule)
        return keys, ("f", marker.in_flight, lease_ms, f"parked by {marker!r}", value)
    if isinstance(marker, RateLimit):
        key = _key(worker, execution, rule, "rate", True)
        kind = "R" if marker.drop else "r"
        per = timedelta_to_ms(marker.per)
        return (key, key, key), (kind, marker.limit, per, f"over {marker!r}", "")
    if isinstance(marker, Debounce):
        key = _key(worker, execution, rule, "debounce", True)
        reason = f"superseded within {marker!r}"
        return (key, key, key), ("d", 0, timedelta_to_ms(marker.settle), reason, "")
    assert isinstance(marker, Cooldown)
    key = _key(worker, execution, rule, "cooldown", True)
    return (key, key, key), ("k", 0, timedelta_to_ms(marker.window), f"within {marker!r}", "")


@dataclass(slots=True)
class Judged:
    """What admission needs of an execution's rules: their keys and values as admit.lua (and
    gate.lua) take them, the slots a run would hold, and what each rule's verdict says."""

    keys: list[str]
    values: list[Any]
    slots: list[Slot]
    reasons: list[str]


def judged(worker: "Worker", execution: Execution, rules: tuple[Rule, ...]) -> Judged:
    """The keys and values of `rules` for one execution (three keys, five values each)."""
    out = Judged([], [], [], [])
    for rule in rules:
        rule_keys, values = _arguments(worker, execution, rule)
        out.keys += rule_keys
        out.values += values
        out.reasons.append(values[3])
        if values[0] in ("c", "f"):
            out.slots.append(Slot(values[0], *rule_keys, values[1]))
        elif values[0] in ("r", "R"):
            worker.dispatcher.windows[rule_keys[0]] = int(time.time() * 1000) + values[2]
    return out


async def settle(
    worker: "Worker", execution: Execution, payload: bytes, keys: list[str], values: list[Any]
) -> list[Any]:
    """Run admit.lua for `execution` with rules' `keys` and `values`: its reply."""
    assert execution.message_id is not None
    docket = worker.docket
    args: list[Any] = [
        docket.now_ms(),
        int(time.time() * 1000),
        execution.message_id,
        execution.key,
        execution.token,
        payload,
        docket.keys.wake,
        docket.backend.scripts.record_ms,
        *values,
    ]
    reply: list[Any] = await worker.dispatcher.admissions(
        ([docket.keys.task(execution.key), *keys], args)
    )
    return reply


def verdict_of(reply: list[Any]) -> Verdict:
    verdict = reply[0].decode() if isinstance(reply[0], bytes) else str(reply[0])
    return verdict  # type: ignore[return-value]


async def admit(
    worker: "Worker", execution: Execution, rules: tuple[Rule, ...], payload: bytes
) -> tuple[Verdict, list[Slot]]:
    """Whether `execution` runs now, and the slots it then holds."""
    if worker.root.docket.shards > 1:
        from ._sharded_admission import admit_sharded

        return await admit_sharded(worker, execution, rules, payload)
    rule_args = judged(worker, execution, rules)
    reply = await settle(worker, execution, payload, rule_args.keys, rule_args.values)
    verdict = verdict_of(reply)
    if verdict == "run":
        return "run", rule_args.slots
    culprit = int(reply[-1]) - 1
    log_verdict(worker, execution, verdict, reply, rules[culprit], rule_args.reasons[culprit])
    return verdict, []


def log_verdict(
    worker: "Worker",
    execution: Execution,
    verdict: Verdict,
    reply: list[Any],
    rule: Rule,
    reason: str,
) -> None:
    """Log why `execution` did not run now (`reply` is admit.lua's)."""
    name, key = execution.function_name, execution.key
    if verdict == "park" and isinstance(rule.marker, Fair):
        logger.debug("queued %s key=%s for its turn: %s", name, key, reason)  # every run does
    elif verdict == "park":
        logger.info("parked %s key=%s: %s; it runs when a slot frees", name, key, reason)
    elif verdict == "later":
        due_in = (int(reply[1]) - worker.docket.now_ms()) / 1000
        logger.info("put off %s key=%s by %.3f s: %s", name, key, due_in, reason)
    else:
        logger.info("dropped %s key=%s: %s", name, key, reason)


SHOWN_LIMITS = 1000
"""The most limit keys one heartbeat lists."""


def limits_in_use(workers: "list[Worker]") -> frozenset[str]:
    """The keys of the slots the runs of `workers` hold, and of the rate windows they were
    admitted through that have not ended (those that have are forgotten)."""
    now = int(time.time() * 1000)
    found: set[str] = set()
    for worker in workers:
        dispatcher = worker.dispatcher
        for slots in dispatcher.slots.values():
            found.update(slot.holders for slot in slots)
        windows = dispatcher.windows
        for key in [key for key, until in windows.items() if until <= now]:
            del windows[key]
        found.update(windows)
    return frozenset(sorted(found)[:SHOWN_LIMITS])


async def release(worker: "Worker", execution: Execution, slots: list[Slot]) -> None:
    """Give back `slots`, waking the next parked execution of each (release.lua)."""
    if worker.root.docket.shards > 1:
        from ._sharded_admission import release_sharded

        return await release_sharded(worker, execution, slots)
    keys: list[str] = []
    args: list[Any] = [
        int(time.time() * 1000),
        worker.docket.keys.wake,
        timedelta_to_ms(worker.redelivery_timeout),
    ]
    for slot in slots:
        keys += (slot.holders, slot.waiting, slot.ranks)
        args += (slot.kind, execution.token, slot.most)
    await worker.dispatcher.releases((keys, args))


async def renew(worker: "Worker", held: dict[str, list[Slot]]) -> None:
    """Push back the lease of the slots of runs still going, by token (see admit.lua)."""
    if not held:
        return
    until = int(time.time() * 1000) + timedelta_to_ms(worker.redelivery_timeout)
    commands: list[tuple[Any, ...]] = [
        ("ZADD", slot.holders, "XX", until, token)
        for token, slots in held.items()
        for slot in slots
    ]
    await worker.root.docket.backend.transport.execute_many(commands)  # the limits' slot
