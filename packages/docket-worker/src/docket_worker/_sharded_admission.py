"""Admission on a sharded docket: its limits live on one slot, its tasks on many.

A limit is shared by tasks on every shard, so its keys stay under the docket's own tag
(``{name}``) while each execution lives under its shard's (``{name:i}``). No script may touch
both, so admission takes two steps where a docket of one shard takes one (admit.lua):

1. gate.lua, on the limits' slot, judges the rules. A run takes its slots and window places
   there and starts at once: one round trip, as on one shard. An execution that waits
   enters its slot's waiters.
2. admit.lua, on the execution's shard, is told that verdict (a rule of kind 'P', 'L' or 'X')
   and parks, puts off or drops the execution, with the same checks of its key and token.

A freed slot is given back by wake.lua, which takes the next waiters and keeps a slot for
each; unpark.lua then makes each due on its shard, and gives back the slot of one that is gone.
A parked execution also comes back on its own after `redelivery_timeout` (recheck.lua, from
each shard worker's sweep), keeping its place among the waiters, so a wake lost with a dying
worker delays it but never strands it.
"""

import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from docket import Execution
from docket._admission import Debounce
from docket._scripts import GATE, RECHECK, UNPARK, WAKE
from docket._time import timedelta_to_ms

from ._admission import Rule, Slot, Verdict, judged, log_verdict, settle, verdict_of

if TYPE_CHECKING:
    from ._worker import Worker

WAKE_ROUNDS = 8
"""How many times one release takes further waiters in place of gone ones before it leaves
the rest to the next release (or to the waiters' own return)."""

_FORCED = {"park": "P", "later": "L", "drop": "X"}


async def admit_sharded(
    worker: "Worker", execution: Execution, rules: tuple[Rule, ...], payload: bytes
) -> tuple[Verdict, list[Slot]]:
    """Whether `execution`, of a sharded docket, runs now, and the slots it then holds."""
    root = worker.root.docket
    scripts = root.backend.scripts
    rule_args = judged(worker, execution, rules)
    led = "0"
    if any(isinstance(rule.marker, Debounce) for rule in rules):
        burst = await worker.docket.backend.transport.execute(
            "HGET", worker.docket.keys.task(execution.key), "b"
        )
        led = "1" if burst in (b"1", "1") else "0"
    now = worker.docket.now_ms()
    lease_now = int(time.time() * 1000)
    shard = getattr(worker.docket, "shard_index", 0)
    gate_args = [now, lease_now, execution.token, execution.key, shard, led, *rule_args.values]
    verdict_reply: list[Any] = await scripts.run(GATE, rule_args.keys, gate_args)
    verdict = verdict_of(verdict_reply)
    if verdict == "run":
        return "run", rule_args.slots
    culprit = int(verdict_reply[1] if verdict == "park" else verdict_reply[2]) - 1
    reason = rule_args.reasons[culprit]
    if verdict == "park":
        span, amount = now + timedelta_to_ms(worker.redelivery_timeout), 0
    elif verdict == "later":
        span, amount = int(verdict_reply[1]), int(verdict_reply[3])
    else:
        span, amount = 0, 0
    task = worker.docket.keys.task(execution.key)
    forced = [_FORCED[verdict], amount, span, reason, ""]
    reply = await settle(worker, execution, payload, [task, task, task], forced)
    if verdict_of(reply) == "run":  # the key was replaced meanwhile: it runs, as on one shard
        return "run", []
    log_verdict(worker, execution, verdict, reply, rules[culprit], reason)
    if verdict == "park":  # a slot may have freed between the two steps
        slot = next(s for s in rule_args.slots if s.holders == rule_args.keys[3 * culprit])
        await _wake(worker, [(slot, "")], own=(execution, slot))
    return verdict, []


async def release_sharded(worker: "Worker", execution: Execution, slots: list[Slot]) -> None:
    """Give back `slots` of a sharded docket's run, making their next waiters due."""
    await _wake(worker, [(slot, execution.token) for slot in slots])


async def _wake(
    worker: "Worker",
    given: list[tuple[Slot, str]],
    own: tuple[Execution, Slot] | None = None,
) -> None:
    """Give back each (slot, token) of `given` ('' gives none back) and make due the
    waiters taken for them. `own` is an execution parked just now, which a release between
    its two steps may have taken already: it is made due too when its slot was kept for it."""
    root = worker.root.docket
    scripts = root.backend.scripts
    reserve = timedelta_to_ms(worker.redelivery_timeout)
    for _ in range(WAKE_ROUNDS):
        keys: list[str] = []
        args: list[Any] = [int(time.time() * 1000), reserve]
        for slot, token in given:
            keys += (slot.holders, slot.waiting, slot.ranks)
            args += (slot.kind, token, slot.most)
        taken: list[Any] = await scripts.run(WAKE, keys, args)
        waiters = [
            (_text(taken[i]).split("\x1f"), given[int(taken[i + 1]) - 1][0])
            for i in range(0, len(taken), 2)
        ]
        if own is not None:
            execution, slot = own
            own = None
            held = await root.backend.transport.execute("ZSCORE", slot.holders, execution.token)
            if held is not None:
                shard = str(getattr(worker.docket, "shard_index", 0))
                waiters.append(([execution.token, execution.key, shard], slot))
        gone = await _unpark(worker, waiters)
        if not gone:
            return
        given = gone


async def _unpark(
    worker: "Worker", waiters: list[tuple[list[str], Slot]]
) -> list[tuple[Slot, str]]:
    """Make `waiters` due on their shards; the (slot, token) of each that is gone."""
    root = worker.root.docket
    by_shard: dict[int, list[tuple[str, str, Slot]]] = defaultdict(list)
    for (token, key, shard), slot in waiters:
        by_shard[int(shard)].append((token, key, slot))
    gone: list[tuple[Slot, str]] = []
    for index, found in by_shard.items():
        view = root._views[index]
        keys = [view.keys.queue, *(view.keys.task(key) for _, key, _ in found)]
        args: list[Any] = [view.keys.wake]
        for token, key, _ in found:
            args += (key, token)
        states: list[Any] = await view.backend.scripts.run(UNPARK, keys, args)
        gone += [
            (slot, token)
            for (token, _, slot), state in zip(found, states, strict=True)
            if state == 0
        ]
    return gone


RECHECK_BATCH = 1000
"""The most parked executions one recheck makes due."""


async def recheck_parked(worker: "Worker") -> None:
    """Make due the parked executions of this shard whose wake is overdue (recheck.lua)."""
    keys = worker.docket.keys
    args = [keys.wake, worker.docket.now_ms(), RECHECK_BATCH]
    await worker.docket.backend.scripts.run(RECHECK, [keys.queue], args)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
