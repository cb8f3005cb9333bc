"""`docket acl ROLE`: the Redis ACL rules of a least-privilege user for one docket.

    redis-cli ACL SETUSER web on '>secret' $(docket acl producer --docket emails)

docket is imported inside the command, so its help stays quick.
"""

import enum
from typing import Annotated

import typer

from ._options import DEFAULT_DOCKET, DocketOption


class AclRole(enum.StrEnum):
    PRODUCER = "producer"
    WORKER = "worker"
    OPERATOR = "operator"


def acl(
    role: Annotated[
        AclRole,
        typer.Argument(
            show_default=False,
            help="producer: schedules, replaces and cancels (a web app); worker: a `docket "
            "worker`; operator: the read-only commands (show, snapshot, workers, strikes, "
            "dead ls).",
        ),
    ],
    docket: DocketOption = DEFAULT_DOCKET,
    shards: Annotated[
        int,
        typer.Option(
            min=1,
            max=1024,
            metavar="N",
            envvar="DOCKET_SHARDS",
            help="The docket's number of shards (Docket(shards=N)): their keys too.",
        ),
    ] = 1,
) -> None:
    """Print the ACL rules of a Redis user for ROLE on one docket, for ACL SETUSER.

    The user may touch only the docket's keys and channels, and run only the commands the
    role needs (those inside docket's Lua scripts included).
    """
    from docket._permissions import acl_rules

    try:
        rules = acl_rules(role.value, docket, shards)
    except ValueError as error:  # a docket name that cannot be used
        raise typer.BadParameter(str(error), param_hint="'--docket'") from None
    typer.echo(" ".join(rules))
