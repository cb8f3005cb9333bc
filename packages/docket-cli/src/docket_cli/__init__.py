"""docket-cli: the `docket` command.

Layering: besides docket's public API this package uses a few client internals, safe because
the versions are pinned ``==``: ``docket._urls`` (``redact_url``, ``redact_text``: secrets hidden
in every line it prints), ``docket._speedups`` (``IMPLEMENTATION``, ``REASON``) for the worker's
start-up line, and ``docket._tasks`` (``check_task_function``) and
``docket_worker._worker_dependencies`` (``normalise_dependencies``) to check ``--fallback-task``
and ``--dependencies`` as the worker does, before it starts.
"""
