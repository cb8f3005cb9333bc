"""What each dashboard action does to the docket."""

from datetime import UTC, datetime

from docket import Docket

ACTIONS = ("cancel", "run-now", "reschedule", "requeue", "purge", "strike", "restore")


async def perform(docket: Docket, kind: str, key: str, when: str = "") -> str:
    """Do action `kind` on `key` (a task name for strike/restore); returns what happened."""
    if kind == "cancel":
        return f"cancelled: {await docket.cancel(key)}"
    if kind in ("run-now", "reschedule"):
        execution = await docket.get_execution(key)
        if execution is None:
            return "no such execution"
        at = datetime.now(UTC) if kind == "run-now" else datetime.fromisoformat(when)
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        await docket.replace(execution.function_name, when=at, key=key)(
            *execution.args, **execution.kwargs
        )
        return f"scheduled at {at.isoformat()}"
    if kind == "requeue":
        return f"requeued {await docket.requeue_dead_letters(key or None)}"
    if kind == "purge":
        return f"purged {await docket.purge_dead_letters(key or None)}"
    if kind == "strike":
        await docket.strike(key or None)
        return "struck"
    if kind == "restore":
        return f"restored {await docket.restore(key or None)}"
    raise ValueError(f"unknown action {kind!r}")
