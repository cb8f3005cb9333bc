"""The Lua scripts beside this module, each loaded once and named by its SHA1."""

import hashlib
from dataclasses import dataclass
from importlib.resources import files

from ._prelude import prelude_for


@dataclass(frozen=True, slots=True)
class Script:
    source: str
    sha: str

    @classmethod
    def load(cls, name: str, *, prelude: bool = False) -> "Script":
        """A script's source; with `prelude`, after the shared helpers of prelude.lua that
        it uses (see _prelude.py)."""
        source = files(__package__ or "docket._scripts").joinpath(name).read_text(encoding="utf-8")
        if prelude:
            source = prelude_for(source) + "\n" + source
        script = cls(source, hashlib.sha1(source.encode()).hexdigest())
        BY_SHA[script.sha] = (name, script)
        return script


BY_SHA: dict[str, tuple[str, Script]] = {}
"""Every script by its SHA1, with its file name: Redis names a failing script by its SHA."""


SCHEDULE = Script.load("schedule.lua", prelude=True)
SCHEDULE_BATCH = Script.load("schedule_batch.lua", prelude=True)
CANCEL = Script.load("cancel.lua", prelude=True)
REQUEUE = Script.load("requeue.lua", prelude=True)
MOVE_DUE = Script.load("move_due.lua", prelude=True)
ACK = Script.load("ack.lua", prelude=True)
HANDBACK = Script.load("handback.lua", prelude=True)
ADMIT = Script.load("admit.lua", prelude=True)
RELEASE = Script.load("release.lua", prelude=True)
GATE = Script.load("gate.lua", prelude=True)
WAKE = Script.load("wake.lua")
UNPARK = Script.load("unpark.lua")
RECHECK = Script.load("recheck.lua")
EXECUTION = Script.load("execution.lua", prelude=True)
PROGRESS = Script.load("progress.lua")
STRIKE = Script.load("strike.lua")
HOLD = Script.load("hold.lua", prelude=True)
UNHOLD = Script.load("unhold.lua", prelude=True)
