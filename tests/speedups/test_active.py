"""The compiled kernels are really the ones in use, unless switched off; the stub matches them."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from docket import _kernels

from .kernel_api import Kernels

SPEEDUPS_SOURCE = Path(__file__).parents[2] / "packages" / "docket-speedups" / "src"
KERNEL_FUNCTIONS = ("decode_envelope", "encode_envelope", "fold_runs", "parse_stream_reply")


def run_python(code: str, **environment: str) -> list[str]:
    """Run `code` in a fresh interpreter and return the lines it printed."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("DOCKET_")}
    env.update(environment)
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


REPORT = """
import docket._speedups as speedups
print(speedups.IMPLEMENTATION)
print(speedups.REASON)
print(speedups.encode_envelope.__module__)
"""


@pytest.mark.speedups
def test_compiled_kernels_are_active_when_installed(compiled_kernels: Kernels) -> None:
    if os.environ.get("DOCKET_NO_EXTENSIONS"):
        pytest.skip("DOCKET_NO_EXTENSIONS is set: the pure-Python kernels are meant to be active")
    import docket._speedups as speedups

    assert (speedups.IMPLEMENTATION, speedups.REASON) == ("cython", "docket-speedups is installed")
    for name in KERNEL_FUNCTIONS:
        assert getattr(speedups, name) is getattr(compiled_kernels, name), name


@pytest.mark.speedups
def test_a_fresh_process_picks_the_compiled_kernels(compiled_kernels: Kernels) -> None:
    assert run_python(REPORT) == [
        "cython",
        "docket-speedups is installed",
        "docket_speedups._kernels",
    ]


def test_docket_no_extensions_switches_to_the_pure_kernels() -> None:
    assert run_python(REPORT, DOCKET_NO_EXTENSIONS="1") == [
        "python",
        "disabled by DOCKET_NO_EXTENSIONS",
        "docket._kernels",
    ]


def test_without_docket_speedups_the_pure_kernels_run_and_say_why() -> None:
    blocked = "import sys; sys.modules['docket_speedups'] = None\n"

    assert run_python(blocked + REPORT) == [
        "python",
        "docket-speedups is not installed",
        "docket._kernels",
    ]


@pytest.mark.speedups
def test_the_compiled_module_mirrors_the_pure_one(compiled_kernels: Kernels) -> None:
    package = importlib.import_module("docket_speedups")

    assert compiled_kernels.KERNEL_ABI == package.KERNEL_ABI == _kernels.KERNEL_ABI
    for name in KERNEL_FUNCTIONS:
        assert callable(getattr(compiled_kernels, name)), name
        assert getattr(package, name) is getattr(compiled_kernels, name), name


@pytest.mark.speedups
def test_the_stub_matches_the_compiled_module(compiled_kernels: Kernels, tmp_path: Path) -> None:
    # MYPYPATH puts the stub being edited (not the copy installed with the build) first.
    done = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "--concise", "docket_speedups"],
        env={**os.environ, "MYPYPATH": str(SPEEDUPS_SOURCE)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
