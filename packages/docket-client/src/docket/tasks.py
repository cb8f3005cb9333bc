"""docket.tasks: the built-in tasks every docket knows, under the names pydocket gives them.

``trace(message)`` logs the message, ``fail(message)`` raises it (tried twice), and
``sleep(seconds)`` sleeps. Every Docket registers them, so you can schedule them by name
(``docket.add("trace")("hello")``) or with ``docket tasks trace|fail|sleep`` from the shell;
``standard_tasks`` is the three as a task collection.
"""

from ._builtin_tasks import fail as fail
from ._builtin_tasks import sleep as sleep
from ._builtin_tasks import standard_tasks as standard_tasks
from ._builtin_tasks import trace as trace

__all__ = ["fail", "sleep", "standard_tasks", "trace"]
