"""Without OpenTelemetry installed, docket works: every instrument is absent, at no cost."""

import subprocess
import sys

BLOCKED = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "opentelemetry":
            raise ImportError(f"No module named {name!r}")
sys.meta_path.insert(0, Block())
"""

RUN = """
import asyncio, sys
from docket import Docket, Worker

async def main() -> None:
    ran = []

    async def note(n: int) -> None:
        ran.append(n)

    async with Docket(name="plain", url="memory://plain") as docket:
        await docket.add(note)(1)
        await docket.add(note, key="k")(2)
        assert await docket.cancel("k")
        await docket.add(note)(3)
        async with Worker(docket) as worker:
            await worker.run_until_finished()
            print(sorted(ran), worker.statistics().succeeded)
    print("opentelemetry" in sys.modules)

asyncio.run(main())
"""


def run(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_docket_works_where_opentelemetry_cannot_be_imported() -> None:
    assert run(BLOCKED + RUN) == ["[1, 3] 2", "False"]
