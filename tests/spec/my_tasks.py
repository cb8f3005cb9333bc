"""The spec's ``my_tasks.py``: two tasks and the collection a worker registers.

Importable as ``tests.spec.my_tasks`` (the suite runs from the repository root).
"""

ran: list[str] = []
"""Names of the tasks that ran, in order; tests clear it first."""


async def my_first_task() -> None:
    ran.append("my_first_task")


async def my_second_task() -> None:
    ran.append("my_second_task")


my_task_collection = [
    my_first_task,
    my_second_task,
]
