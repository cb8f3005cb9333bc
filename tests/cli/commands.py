"""Running `docket ...` as a process of its own, as a user runs it, and reading what it said."""

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .conftest import DOCKET_SCRIPT

if TYPE_CHECKING:
    from docket import Docket


@dataclass(frozen=True)
class Result:
    """How a `docket` process ended: its exit status and all it printed."""

    code: int
    stdout: str
    stderr: str

    def error_line(self) -> str:
        """The one line of an operational error (exit 1), without a traceback."""
        assert self.code == 1, self.stdout + self.stderr
        assert "Traceback" not in self.stderr
        lines = self.stderr.splitlines()
        assert len(lines) == 1, self.stderr
        assert lines[0].startswith("Error: ")
        return lines[0]


async def docket_command(
    *arguments: str,
    docket: "Docket | None" = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
) -> Result:
    """Run `docket ARGUMENTS` to its end: on `docket`'s URL and name when given (through
    DOCKET_URL and DOCKET_NAME), with `env` added to this environment, in `cwd`."""
    environment = dict(os.environ) | (env or {})
    if docket is not None:
        environment |= {"DOCKET_URL": docket.url, "DOCKET_NAME": docket.name}
    process = await asyncio.create_subprocess_exec(
        str(DOCKET_SCRIPT),
        *arguments,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment,
        cwd=cwd,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return Result(process.returncode, stdout.decode(), stderr.decode())
