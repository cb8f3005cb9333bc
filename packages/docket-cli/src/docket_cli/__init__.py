"""docket-cli: the `docket` command.

Layering: besides docket's public API this package uses two client internals, safe because the
versions are pinned ``==``: ``docket._backends.redact_url`` and ``docket._speedups``
(``IMPLEMENTATION``, ``REASON``) for the worker's start-up line.
"""
