"""What an add or replace did with a call: scheduled it, found its key already pending, or
refused it because it matched a strike."""

import enum


class Disposition(enum.Enum):
    """The outcome of scheduling one call (`execution.disposition`)."""

    SCHEDULED = "scheduled"
    """The call was scheduled (an add, or a replace that replaced or scheduled it)."""
    ALREADY_SCHEDULED = "already_scheduled"
    """`add` found the call's key already pending and scheduled nothing."""
    STRUCK = "struck"
    """The call matched a strike in effect (`Docket.strike`), so nothing was scheduled."""
