"""Calls: a task call checked, serialized and encoded, ready to be scheduled alone or in bulk."""

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._codecs import pack
from ._errors import InvalidTaskError
from ._execution import Execution, TaskFunction
from ._keys import check_encodable, check_task_key, new_task_key
from ._scripts import ScheduleArgs
from ._speedups import encode_envelope
from ._tasks import check_task_function, task_signature
from ._time import datetime_to_ms

if TYPE_CHECKING:
    from ._docket import Docket


@dataclass(frozen=True, slots=True)
class Call:
    """One task call, ready to schedule: ``docket.call(fn, when, key)(*args, **kwargs)``."""

    execution: Execution
    payload: bytes
    new_key: bool
    """The key was made up for this call (none was given), so it cannot be pending."""
    generated: bool = False
    """Sent as one plain XADD, its key made from the entry's id once added (see
    docket._generated): the envelope names no key or token, and `execution.key` is ''
    until then."""

    def schedule_args(self, now: int) -> ScheduleArgs:
        """The schedule script's view of this call, `now` deciding whether it is due."""
        e = self.execution
        return (e.key, e.token, e.when_ms, self.payload, e.when_ms <= now, self.new_key)


def call_builder(
    docket: "Docket",
    function: Callable[..., Any] | str,
    when: datetime | None,
    key: str | None,
    *,
    may_generate: bool = False,
) -> Callable[..., Call]:
    """Check the parts of a call that do not depend on its arguments, once; return a function
    that turns arguments into a Call. `may_generate`: a call without a key that is due at
    once may be a generated one (see Call.generated), when the docket keeps no records."""
    task: TaskFunction | None
    if isinstance(function, str):
        if not function:
            raise InvalidTaskError("a task name cannot be empty.")
        check_encodable(function, "task name")
        name, task = function, docket.tasks.get(function)
    elif docket.tasks.get(getattr(function, "__name__", "")) is function:
        task, name = function, function.__name__  # registered, so already checked
    else:
        task = check_task_function(function)
        docket.register(task)
        name = task.__name__
    when_ms = None if when is None else datetime_to_ms(when)
    if key is not None:
        check_task_key(key)
    signature = None if task is None else task_signature(task)
    generating = (
        may_generate
        and key is None
        and not docket.keeps_records
        and docket.durability != "replicated"
        and docket.shards == 1
    )

    def build(*args: Any, **kwargs: Any) -> Call:
        if signature is not None:
            try:
                signature.bind(*args, **kwargs)
            except TypeError as error:
                raise InvalidTaskError(f"{name}() cannot take these arguments: {error}.") from None
        arguments = pack(docket.codec, name, args, kwargs)
        now = docket.now_ms()
        due = now if when_ms is None else when_ms
        generated = generating and due <= now  # key and token '' until added
        if generated:
            task_key = token = ""
        else:
            task_key = new_task_key() if key is None else key
            token = os.urandom(8).hex()
        execution = Execution._create(
            function=task,
            function_name=name,
            args=args,
            kwargs=kwargs,
            when_ms=due,
            key=task_key,
            attempt=1,
            token=token,
        )
        execution.docket = docket
        payload = encode_envelope(task_key, name, due, 1, token, arguments)
        return Call(execution, payload, new_key=key is None, generated=generated)

    return build
