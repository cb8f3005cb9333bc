"""`python -m docket_cli`: the same as the `docket` command."""

from .app import main

main()
