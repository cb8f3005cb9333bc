"""docket-cli: the `docket` command.

Layering: besides docket's public API this package uses two client internals, safe because the
versions are pinned ``==``: ``docket._urls`` (``redact_url``, ``redact_text``: secrets hidden in
every line it prints) and ``docket._speedups`` (``IMPLEMENTATION``, ``REASON``) for the worker's
start-up line.
"""
