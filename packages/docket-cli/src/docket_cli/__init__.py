"""docket-cli: the `docket` command."""
