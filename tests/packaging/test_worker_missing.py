"""With only docket-client installed, everything imports except Worker, which says what to add."""

import json
import subprocess
import sys
import textwrap

HIDE_WORKER = """
import sys

class HideDocketWorker:
    # Wraps a finder of sys.meta_path so that docket-worker looks uninstalled: no module
    # docket_worker, and no docket-worker distribution metadata.

    def __init__(self, finder):
        self.finder = finder

    def __getattr__(self, name):
        return getattr(self.finder, name)

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "docket_worker":
            return None
        find_spec = getattr(self.finder, "find_spec", None)
        return None if find_spec is None else find_spec(name, path, target)

    def find_distributions(self, *args, **kwargs):
        find = getattr(self.finder, "find_distributions", None)
        found = [] if find is None else find(*args, **kwargs)
        return iter([d for d in found if d.metadata["Name"] != "docket-worker"])

sys.meta_path[:] = [HideDocketWorker(finder) for finder in sys.meta_path]
"""


def run_without_worker(code: str) -> dict[str, object]:
    """Run `code` with docket_worker hidden; it prints one JSON object, returned here."""
    result = subprocess.run(
        [sys.executable, "-c", HIDE_WORKER + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def test_the_hiding_finder_makes_docket_worker_unimportable() -> None:
    report = run_without_worker(
        """
        import importlib.metadata, importlib.util, json
        try:
            import docket_worker
            imported = True
        except ImportError:
            imported = False
        try:
            importlib.metadata.version("docket-worker")
            distribution = True
        except importlib.metadata.PackageNotFoundError:
            distribution = False
        print(json.dumps({"found": importlib.util.find_spec("docket_worker") is not None,
                          "imported": imported, "distribution": distribution,
                          "client": importlib.metadata.version("docket-client")}))
        """
    )

    assert report["found"] is False
    assert report["imported"] is False
    assert report["distribution"] is False
    assert report["client"]


def test_everything_but_worker_imports_without_docket_worker() -> None:
    report = run_without_worker(
        """
        import json
        import docket
        from docket import (CurrentDocket, CurrentExecution, CurrentWorker, Depends, Docket,
                            DocketError, ExponentialRetry, Retry, TaskArgument, TaskKey, TaskLogger)
        for name in docket.__all__:
            getattr(docket, name)
        namespace = {}
        exec("from docket import *", namespace)
        print(json.dumps({"all": docket.__all__, "dir": dir(docket),
                          "star": sorted(n for n in namespace if n != "__builtins__")}))
        """
    )

    assert "Worker" not in report["all"]  # type: ignore[operator]
    assert "Docket" in report["all"]  # type: ignore[operator]
    assert report["dir"] == report["all"]
    assert report["star"] == report["all"]


def test_importing_worker_without_docket_worker_says_to_add_it() -> None:
    report = run_without_worker(
        """
        import json
        errors = []
        try:
            from docket import Worker
        except ImportError as error:
            errors.append(str(error))
        import docket
        try:
            docket.Worker
        except ImportError as error:
            errors.append(str(error))
        print(json.dumps({"errors": errors}))
        """
    )

    errors = report["errors"]
    assert isinstance(errors, list)
    assert len(errors) == 2
    for message in errors:
        assert "docket-worker" in message
        assert "not installed" in message
        assert "'Installing'" in message  # where the README says how


def test_a_client_only_install_can_still_schedule_work() -> None:
    report = run_without_worker(
        """
        import asyncio, json
        from docket import Docket

        async def send_welcome_email(customer_id: int, name: str) -> None: ...

        async def main() -> str:
            async with Docket(name="orders", url="memory://client-only") as docket:
                execution = await docket.add(send_welcome_email)(12345, "Jane Smith")
                await docket.add("send_followup_email", key="followup")(12345, "Jane Smith")
                return execution.function_name

        print(json.dumps({"scheduled": asyncio.run(main())}))
        """
    )

    assert report == {"scheduled": "send_welcome_email"}
