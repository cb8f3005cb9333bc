"""A command run on a real pseudo-terminal, its output drawn by a terminal emulator (pyte), so a
test can read the screen a person would see."""

import asyncio
import contextlib
import fcntl
import os
import struct
import termios
import time
from collections.abc import Callable, Sequence

import pyte


class Terminal:
    """A process whose stdout is the slave side of a pty of `columns` by `lines`; what it
    writes is fed to a pyte screen as it arrives. Its stderr is kept apart, for messages."""

    def __init__(self, columns: int = 100, lines: int = 30) -> None:
        self.columns, self.lines = columns, lines
        self.screen = pyte.Screen(columns, lines)
        self._stream = pyte.ByteStream(self.screen)
        self._drawn = asyncio.Event()
        self._closed = False
        self._master = -1
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, command: Sequence[str], env: dict[str, str], cwd: str) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.lines, self.columns, 0, 0))
        environment = {
            **env,
            "TERM": "xterm-256color",
            "COLUMNS": str(self.columns),
            "LINES": str(self.lines),
        }
        try:
            self.process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=slave,
                stderr=asyncio.subprocess.PIPE,
                env=environment,
                cwd=cwd,
            )
        finally:
            os.close(slave)  # the child holds it now: reading the master ends when it exits
        self._master = master
        os.set_blocking(master, False)
        asyncio.get_running_loop().add_reader(master, self._read)

    def _read(self) -> None:
        try:
            data = os.read(self._master, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO: every writer of the slave side is gone
            data = b""
        if data:
            self._stream.feed(data)
        else:
            self._close()
        self._drawn.set()

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            asyncio.get_running_loop().remove_reader(self._master)
            os.close(self._master)

    @property
    def text(self) -> str:
        """The screen as it is now, one line per row, trailing blanks cut."""
        return "\n".join(line.rstrip() for line in self.screen.display).rstrip()

    async def wait_for(self, condition: Callable[[str], bool], *, within: float = 10.0) -> None:
        """Wait until the screen's text satisfies `condition` (woken by each write)."""
        deadline = time.monotonic() + within
        while not condition(self.text):
            if self._closed:
                raise AssertionError(f"the program ended; its last screen:\n{self.text}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {within}s; the screen:\n{self.text}")
            self._drawn.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drawn.wait(), remaining)

    async def wait_for_exit(self, within: float = 20.0) -> tuple[int, str]:
        """Read to the end of the output, then the exit status and stderr."""
        assert self.process is not None
        deadline = time.monotonic() + within
        while not self._closed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"still running after {within}s; the screen:\n{self.text}")
            self._drawn.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drawn.wait(), remaining)
        _, stderr = await asyncio.wait_for(self.process.communicate(), within)
        assert self.process.returncode is not None
        return self.process.returncode, stderr.decode()

    async def close(self) -> None:
        """Kill the program if it still runs, and let go of the pty."""
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
        if self._master >= 0:
            self._close()
