"""Typed wrappers of the Lua scripts beside this module: one script call per docket operation.

Each wrapper is named after its ``.lua`` file. Scripts run by ``EVALSHA``; when the server
answers NOSCRIPT (after a restart or SCRIPT FLUSH) the script is loaded and the call repeated.
"""

from collections.abc import Sequence
from typing import Any

from redis.exceptions import NoScriptError

from .._generated import generated_key
from .._keys import DocketKeys
from .._signing import Signer
from .._transport import NotReplicatedError, Transport
from ._entries import _PADDING, CANCEL_MEMORY_MS, REPLICATION_TIMEOUT_MS, signed_retry, split_plain
from ._entries import AckEntry as AckEntry
from ._entries import AckResult as AckResult
from ._entries import HandbackEntry as HandbackEntry
from ._entries import ScheduleArgs as ScheduleArgs
from ._loaded import ACK as ACK
from ._loaded import ADMIT as ADMIT
from ._loaded import BY_SHA as BY_SHA
from ._loaded import CANCEL as CANCEL
from ._loaded import EXECUTION as EXECUTION
from ._loaded import GATE as GATE
from ._loaded import HANDBACK as HANDBACK
from ._loaded import HOLD as HOLD
from ._loaded import MOVE_DUE as MOVE_DUE
from ._loaded import PROGRESS as PROGRESS
from ._loaded import RECHECK as RECHECK
from ._loaded import RELEASE as RELEASE
from ._loaded import REQUEUE as REQUEUE
from ._loaded import SCHEDULE as SCHEDULE
from ._loaded import SCHEDULE_BATCH as SCHEDULE_BATCH
from ._loaded import STRIKE as STRIKE
from ._loaded import UNHOLD as UNHOLD
from ._loaded import UNPARK as UNPARK
from ._loaded import WAKE as WAKE
from ._loaded import Script as Script

HoldEntry = tuple[bytes, str, str, str]
"""(message id, key, token, id of the strike it matched) of a struck message to hold."""


class Scripts:
    """The docket scripts of one docket, run over a transport."""

    def __init__(self, transport: Transport, keys: DocketKeys) -> None:
        self._transport = transport
        self._keys = keys
        self.record_ms = 0
        """How long a finished execution's record is kept (the docket's execution_ttl); 0
        keeps none, and then no state change is announced either."""
        self.signer: Signer | None = None
        """Signs every payload written anew (the docket's signing_keys; see _signing)."""

    @property
    def events(self) -> str:
        """The prefix of the channels state changes are announced on; '' when not kept."""
        return self._keys.events_prefix if self.record_ms > 0 else ""

    async def run(self, script: Script, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """Run `script` with `keys` (every key it touches) and `args`; loads it if need be."""
        return await self._evalsha(script, ("EVALSHA", script.sha, len(keys), *keys, *args))

    async def _evalsha(self, script: Script, command: Sequence[Any]) -> Any:
        try:
            return await self._transport.execute(*command)
        except NoScriptError:
            await self._transport.execute("SCRIPT", "LOAD", script.source)
            return await self._transport.execute(*command)

    def _schedule_command(
        self,
        call: ScheduleArgs,
        replace: bool,
        resend: bool,
        running: str = "finish",
        mode: str | None = None,
    ) -> tuple[Any, ...]:
        key, token, when_ms, payload, immediate, new_key = call
        if self.signer is not None:
            payload = self.signer.sign(payload)
        mode = mode or ("replace" if replace else ("new" if new_key else "add"))
        k = self._keys
        events = "" if mode == "new" else self.events  # nobody can follow a key made up now
        return (
            "EVALSHA", SCHEDULE.sha, 4, k.stream, k.queue, k.task(key), k.followed,
            mode, key, token, when_ms, payload, "1" if immediate else "0", k.group, k.wake,
            "1" if resend else "0", running, k.cancel, events,
        )  # fmt: skip

    async def schedule(
        self,
        call: ScheduleArgs,
        *,
        replace: bool,
        resend: bool = False,
        replicated: bool = False,
        running: str = "finish",
    ) -> bool:
        """`resend`: an earlier send of this call lost its reply (see schedule.lua);
        `replicated`: return only once a replica has the change (see schedule_many);
        `running`: "cancel" stops a running copy that a replace supersedes."""
        command = self._schedule_command(call, replace, resend, running)
        if replicated:
            [reply] = await self._send_scripts([command], replicated=True)
            if isinstance(reply, NoScriptError):
                await self._transport.execute("SCRIPT", "LOAD", SCHEDULE.source)
                [reply] = await self._send_scripts([command], replicated=True)
            if isinstance(reply, Exception):
                raise reply
            return bool(reply)
        return bool(await self._evalsha(SCHEDULE, command))

    async def add_generated(self, payload: bytes) -> str:
        """XADD one due execution whose key is its entry's id (docket._generated)."""
        if self.signer is not None:
            payload = self.signer.sign(payload)
        entry_id = await self._transport.execute("XADD", self._keys.stream, "*", "d", payload)
        return generated_key(entry_id)

    async def seed(self, call: ScheduleArgs) -> bool:
        """Schedule `call` only if its key has no task hash at all (see schedule.lua)."""
        return bool(
            await self._evalsha(SCHEDULE, self._schedule_command(call, False, False, mode="seed"))
        )

    async def schedule_many(
        self,
        calls: Sequence[ScheduleArgs],
        *,
        replace: bool,
        resend: bool = False,
        replicated: bool = False,
        atomic: bool = False,
    ) -> list[bool]:
        """Schedule many executions in one round trip; True for each that was scheduled.

        `replicated`: a WAIT for one replica follows in the same write, and NotReplicatedError
        is raised when none confirmed the writes within REPLICATION_TIMEOUT_MS. `atomic`: all
        of them in one script run, so all or none (see schedule_batch.lua).
        """
        if atomic:
            return await self._schedule_batch(calls, replace, resend, replicated)
        commands = [self._schedule_command(call, replace, resend) for call in calls]
        replies = await self._send_scripts(commands, replicated)
        if any(isinstance(reply, NoScriptError) for reply in replies):
            await self._transport.execute("SCRIPT", "LOAD", SCHEDULE.source)
            retry = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
            again = await self._send_scripts([commands[i] for i in retry], replicated)
            for i, reply in zip(retry, again, strict=True):
                replies[i] = reply
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return [bool(reply) for reply in replies]

    async def _schedule_batch(
        self, calls: Sequence[ScheduleArgs], replace: bool, resend: bool, replicated: bool
    ) -> list[bool]:
        k = self._keys
        arguments: list[Any] = ["replace" if replace else "add", k.group, k.wake]
        arguments += ("1" if resend else "0", self.events)
        signer = self.signer
        for key, token, when_ms, payload, immediate, new_key in calls:
            if signer is not None:
                payload = signer.sign(payload)
            arguments += (key, token, when_ms, payload, "1" if immediate else "0")
            arguments.append("1" if new_key else "0")
        keys = [k.stream, k.queue, *(k.task(call[0]) for call in calls), k.followed]
        command = ("EVALSHA", SCHEDULE_BATCH.sha, len(keys), *keys, *arguments)
        [reply] = await self._send_scripts([command], replicated)
        if isinstance(reply, NoScriptError):
            await self._transport.execute("SCRIPT", "LOAD", SCHEDULE_BATCH.source)
            [reply] = await self._send_scripts([command], replicated)
        if isinstance(reply, Exception):
            raise reply
        return [bool(scheduled) for scheduled in reply]

    async def _send_scripts(self, commands: list[tuple[Any, ...]], replicated: bool) -> list[Any]:
        if not replicated:
            return await self._transport.execute_many(commands)
        *replies, confirmed = await self._transport.execute_many(
            [*commands, ("WAIT", 1, REPLICATION_TIMEOUT_MS)]
        )
        if isinstance(confirmed, Exception):
            raise confirmed
        if int(confirmed) < 1 and not all(isinstance(r, Exception) for r in replies):
            raise NotReplicatedError(
                f"no replica confirmed the write within {REPLICATION_TIMEOUT_MS} ms "
                "(durability='replicated'); a failover now could lose it"
            )
        return replies

    async def cancel(
        self, key: str, token: str, now_ms: int, *, running: str = "cancel", resend: bool = False
    ) -> bool:
        """`token` names this cancel call, so a re-send after a lost reply is recognised;
        `running` says what happens to a running copy ("cancel" or "finish")."""
        k = self._keys
        cancelled = await self.run(
            CANCEL,
            [k.stream, k.queue, k.task(key), k.followed],
            [
                key, k.group, token, "1" if resend else "0", CANCEL_MEMORY_MS, running, k.cancel,
                self.record_ms, self.events, now_ms,
            ],
        )  # fmt: skip
        return bool(cancelled)

    async def requeue(
        self, dead_id: bytes, key: str, token: str, payload: bytes, *, resend: bool = False
    ) -> bool:
        k = self._keys
        requeued = await self.run(
            REQUEUE,
            [k.stream, k.dead, k.task(key)],
            [dead_id, key, token, payload, k.group, "1" if resend else "0"],
        )
        return bool(requeued)

    async def move_due(self, now_ms: int, limit: int) -> tuple[int, int | None]:
        """Move up to `limit` due executions into the stream; returns (moved, due time of
        the earliest one still parked). Idle, it costs one round trip of two reads."""
        k = self._keys
        due, head = await self._transport.execute_many(
            [
                ("ZRANGEBYSCORE", k.queue, "-inf", now_ms, "LIMIT", 0, limit),
                ("ZRANGE", k.queue, 0, 0, "WITHSCORES"),
            ]
        )
        for reply in (due, head):
            if isinstance(reply, Exception):
                raise reply
        if not due:
            return 0, _first_score(head)
        members = [m.decode() if isinstance(m, bytes) else str(m) for m in due]
        keys = [k.stream, k.queue, *(k.task(member) for member in members), k.followed]
        moved, earliest = await self.run(MOVE_DUE, keys, [now_ms, self.events, *members])
        return int(moved), (int(float(earliest)) if earliest is not None else None)

    async def ack(
        self,
        entries: Sequence[AckEntry],
        now_ms: int,
        *,
        grace_ms: int,
        worker: str = "",
        resend: bool = False,
    ) -> AckResult:
        """Settle `entries` in one call; `grace_ms` bounds how long an unknown task waits;
        `worker` names the worker in the records of the executions it started."""
        k = self._keys
        plain, entries = split_plain(entries)
        if not entries:
            _raise_errors(
                await self._transport.execute_many(
                    [("XACK", k.stream, k.group, *plain), ("XDEL", k.stream, *plain)]
                )
            )
            return AckResult([], [], [])
        if self.signer is not None:  # a retry or a next run is a payload written anew
            entries = [signed_retry(entry, self.signer) for entry in entries]
        prefix = k.task_prefix  # k.task(key), inlined: this runs for every message
        keys = [k.stream, k.queue, k.dead, *[prefix + entry[2] for entry in entries], k.followed]
        record_ms = self.record_ms
        args: list[Any] = [k.group, now_ms, k.wake, "1" if resend else "0", grace_ms, record_ms]
        args += (worker, self.events)
        if record_ms:  # eight values per entry: pad those without an error text, envelope
            for entry in entries:
                args.extend(entry)
                if len(entry) < 8:
                    args.extend(_PADDING[len(entry) :])
        else:  # the worker adds error texts only when records are kept
            for entry in entries:
                args.extend(entry)
        if plain:
            settle = [("XACK", k.stream, k.group, *plain), ("XDEL", k.stream, *plain)]
            [*_, reply] = await self._run_after(settle, ACK, keys, args)
        else:
            reply = await self.run(ACK, keys, args)
        skipped, buried, orphaned = reply
        return AckResult(_strings(skipped), _strings(buried), _strings(orphaned))

    async def _run_after(
        self, commands: list[tuple[Any, ...]], script: Script, keys: list[str], args: list[Any]
    ) -> list[Any]:
        """`commands`, then `script`, in one write; their replies, an error raised."""
        run = ("EVALSHA", script.sha, len(keys), *keys, *args)
        replies = await self._transport.execute_many([*commands, run])
        if isinstance(replies[-1], NoScriptError):
            await self._transport.execute("SCRIPT", "LOAD", script.source)
            replies[-1] = await self._transport.execute(*run)
        return _raise_errors(replies)

    async def admit_many(self, calls: Sequence[tuple[Sequence[str], Sequence[Any]]]) -> list[Any]:
        """Run admit.lua once per call in one write: each call's keys and args after the
        stream, queue and the group (built by docket_worker._admission); a reply or the
        exception of each."""
        k = self._keys
        return await self._run_many(
            ADMIT, [([k.stream, k.queue, *keys], [k.group, *args]) for keys, args in calls]
        )

    async def release_many(self, calls: Sequence[tuple[Sequence[str], Sequence[Any]]]) -> list[Any]:
        """Run release.lua once per call in one write: give back slots, waking waiters."""
        queue = self._keys.queue
        return await self._run_many(RELEASE, [([queue, *keys], args) for keys, args in calls])

    async def _run_many(
        self, script: Script, calls: Sequence[tuple[Sequence[str], Sequence[Any]]]
    ) -> list[Any]:
        commands = [("EVALSHA", script.sha, len(keys), *keys, *args) for keys, args in calls]
        replies = await self._transport.execute_many(commands)
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing:
            await self._transport.execute("SCRIPT", "LOAD", script.source)
            again = await self._transport.execute_many([commands[i] for i in missing])
            for i, reply in zip(missing, again, strict=True):
                replies[i] = reply
        return replies

    async def read_execution(self, key: str, fields: Sequence[str]) -> Any:
        """The raw record of one task key (see execution.lua), or None."""
        k = self._keys
        reply = await self.run(EXECUTION, [k.stream, k.task(key)], [k.group, key, *fields])
        return reply or None

    async def write_progress(
        self, now_ms: int, updates: Sequence[tuple[str, str, str, int, str]]
    ) -> None:
        """Write the progress of running executions: (key, token, current or '', total,
        message or '') each, in one call (see progress.lua)."""
        k = self._keys
        args: list[Any] = [now_ms, k.events_prefix]
        for update in updates:
            args.extend(update)
        await self.run(PROGRESS, [k.task(update[0]) for update in updates], args)

    async def handback(self, entries: Sequence[HandbackEntry]) -> int:
        """Put messages back on the stream as fresh entries; returns how many."""
        k = self._keys
        keys = [k.stream, *(k.task(key) for _id, key, _token in entries)]
        args: list[Any] = [k.group]
        for entry in entries:
            args.extend(entry)
        return int(await self.run(HANDBACK, keys, args))

    async def strike(self, strike_id: str, encoded: str | None) -> bool:
        """Put a strike in effect (`encoded`) or lift it (None), and announce the change
        (see strike.lua); True if that changed the strikes in effect."""
        k = self._keys
        args = [strike_id, encoded or "", k.strikes_changed]
        return bool(await self.run(STRIKE, [k.strikes], args))

    async def hold(self, entries: Sequence[HoldEntry], now_ms: int) -> list[int]:
        """Hold struck messages (see hold.lua); per entry 1 held, 2 put back on the stream
        (its strike was lifted meanwhile), 0 settled without either, -1 settled already."""
        k = self._keys
        keys = [k.stream, k.held, k.strikes, *(k.task(entry[1]) for entry in entries), k.followed]
        args: list[Any] = [k.group, now_ms, self.events]
        for entry in entries:
            args.extend(entry)
        return [int(outcome) for outcome in await self.run(HOLD, keys, args)]

    async def unhold(self, keys: Sequence[str]) -> int:
        """Put these held executions back on the stream, due now (see unhold.lua)."""
        k = self._keys
        script_keys = [k.stream, k.held, *(k.task(key) for key in keys), k.followed]
        return int(await self.run(UNHOLD, script_keys, [self.events, *keys]))


def _first_score(reply: Sequence[Any]) -> int | None:
    """The score in a ZRANGE ... WITHSCORES reply of one member: [m, s] (RESP2) or [[m, s]]."""
    if not reply:
        return None
    score = reply[0][1] if isinstance(reply[0], list) else reply[1]
    return int(float(score))


def _strings(replies: Sequence[bytes | str]) -> list[str]:
    return [s.decode() if isinstance(s, bytes) else str(s) for s in replies]


def _raise_errors(replies: list[Any]) -> list[Any]:
    """`replies`, unless one is an error: then it is raised."""
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply
    return replies
