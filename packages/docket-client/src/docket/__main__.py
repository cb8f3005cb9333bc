"""`python -m docket`: the `docket` command, when docket-cli is installed."""

import importlib.util
import sys


def main() -> None:
    # docket-cli (and Typer) is imported only here, never by `import docket`.
    if importlib.util.find_spec("docket_cli") is None:
        print(
            "Error: `python -m docket` needs the docket-cli package, which is not installed: "
            "install it from docket's repository or its built wheels (docket's README, "
            "'Installing'); the docket-cli on PyPI is an unrelated project.",
            file=sys.stderr,
        )
        raise SystemExit(1)
    from docket_cli.app import main as docket_command

    docket_command(prog_name="python -m docket")


if __name__ == "__main__":
    main()
