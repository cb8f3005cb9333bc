"""`docket strike | restore | strikes`: switch work off, and on again, without a deploy.

``docket strike send_email`` stops one task; ``docket strike '*' customer_id == int:123`` the
calls of any task with that argument; ``docket strike sync customer_id between int:100
int:200`` a range. Values are typed as pydocket spells them (``int:123``, ``float:1.5``,
``bool:true``, ``decimal:1.25``, ``uuid:...``, ``datetime:2026-01-01T00:00:00+00:00``, ...;
see docket._strike_values); an untyped value is a string. A FUNCTION of ``*`` (or empty)
means any task.

docket (and with it redis) is imported inside the commands, so their help stays quick.
"""

import enum
import shlex
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._options import DEFAULT_DOCKET, DEFAULT_URL, DocketOption, UrlOption, on_docket

if TYPE_CHECKING:
    from docket import Docket
    from docket._strikes import Operator

VALUE_HELP = (
    "The value to compare with, typed as TYPE:TEXT (int:123, float:1.5, bool:true, str:abc, "
    "decimal:1.25, uuid:..., datetime:2026-01-01T00:00:00+00:00, date:..., timedelta:SECONDS, "
    "none:, or module.Type:TEXT); untyped text is a string. Two values (LOW HIGH) for between."
)


class StrikeOperator(enum.StrEnum):
    EQUAL = "=="
    NOT_EQUAL = "!="
    GREATER = ">"
    GREATER_OR_EQUAL = ">="
    LESS = "<"
    LESS_OR_EQUAL = "<="
    BETWEEN = "between"


FunctionArgument = Annotated[
    str,
    typer.Argument(
        metavar="FUNCTION",
        show_default=False,
        help="The task's name; * (or empty) for any task.",
    ),
]
ParameterArgument = Annotated[
    str | None,
    typer.Argument(
        metavar="PARAMETER",
        show_default=False,
        help="An argument's name, to strike only the calls whose argument matches; left "
        "out: every call of FUNCTION.",
    ),
]
OperatorArgument = Annotated[
    StrikeOperator | None,
    typer.Argument(metavar="OPERATOR", show_default=False, help="How PARAMETER is compared."),
]
ValueArgument = Annotated[
    list[str] | None, typer.Argument(metavar="VALUE", show_default=False, help=VALUE_HELP)
]


def named_strike(
    function: str, parameter: str | None, operator: StrikeOperator | None, values: list[str]
) -> tuple[str | None, str | None, "Operator", Any]:
    """The (function, parameter, operator, value) the words name; a usage error if they do
    not name a strike."""
    from docket._strike_values import parse_value

    task = None if function in ("", "*") else function
    if parameter in ("", "*"):
        parameter = None
    if parameter is None:
        if operator is not None or values:
            raise typer.BadParameter("OPERATOR and VALUE go with a PARAMETER.")
        if task is None:
            raise typer.BadParameter(
                "name a FUNCTION, or a PARAMETER with OPERATOR and VALUE (or both).",
                param_hint="'FUNCTION'",
            )
        return task, None, "==", None
    if operator is None:
        raise typer.BadParameter(f"{parameter} needs an OPERATOR and a VALUE.")
    wanted = 2 if operator is StrikeOperator.BETWEEN else 1
    if len(values) != wanted:
        shape = "two values, LOW HIGH" if wanted == 2 else "one VALUE"
        raise typer.BadParameter(f"{operator.value} takes {shape}; got {len(values)}.")
    try:
        parsed = [parse_value(value) for value in values]
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="'VALUE'") from None
    value = tuple(parsed) if wanted == 2 else parsed[0]
    return task, parameter, operator.value, value


def strike(
    function: FunctionArgument = "*",
    parameter: ParameterArgument = None,
    operator: OperatorArgument = None,
    value: ValueArgument = None,
    url: UrlOption = DEFAULT_URL,
    docket: DocketOption = DEFAULT_DOCKET,
) -> None:
    """Stop running a task, or the calls whose argument matches.

    Every client and worker of the docket knows it within milliseconds: adds of matching
    calls are refused, and matching executions already queued or scheduled are held, not
    run (and not lost), until `docket restore` names the same strike.
    """
    task, name, comparison, compared = named_strike(function, parameter, operator, value or [])

    async def put(opened: "Docket") -> str:
        return str(await opened.strike(task, name, comparison, compared))

    described = on_docket(docket, url, put)
    typer.echo(f"struck {described} on docket {docket!r}")


def restore(
    function: FunctionArgument = "*",
    parameter: ParameterArgument = None,
    operator: OperatorArgument = None,
    value: ValueArgument = None,
    url: UrlOption = DEFAULT_URL,
    docket: DocketOption = DEFAULT_DOCKET,
) -> None:
    """Lift a strike (named as `docket strike` named it) and run what it held.

    The executions it held are due again at once; those another strike still matches are
    held again. `docket strikes` lists what is in effect.
    """
    task, name, comparison, compared = named_strike(function, parameter, operator, value or [])

    async def lift(opened: "Docket") -> tuple[str, int]:
        from docket._strikes import strike_of

        released = await opened.restore(task, name, comparison, compared)
        return str(strike_of(task, name, comparison, compared)), released

    described, released = on_docket(docket, url, lift)
    typer.echo(f"restored {described} on docket {docket!r}: {released} held execution(s) due again")


def strikes(url: UrlOption = DEFAULT_URL, docket: DocketOption = DEFAULT_DOCKET) -> None:
    """List the strikes in effect, one a line, as `docket restore` takes them."""

    async def read(opened: "Docket") -> list[list[str]]:
        return [strike.words() for strike in opened.strikes]

    found = on_docket(docket, url, read)
    for words in found:
        typer.echo(shlex.join(words))
    typer.echo(f"{len(found)} strike(s) in effect on docket {docket!r}")


def add_strike_commands(app: typer.Typer) -> None:
    """Add `docket strike`, `docket restore` and `docket strikes` to the `docket` command."""
    app.command("strike")(strike)
    app.command("restore")(restore)
    app.command("strikes")(strikes)
