"""Strike values as typed text: what `docket strike` reads, and how strikes are stored."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from docket._strike_values import decode_value, encode_value, parse_value, value_key
from docket._strikes import Strike, strike_of


class Color(Enum):
    RED = "red"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("int:123", 123),
        ("float:1.5", 1.5),
        ("str:abc", "abc"),
        ("str:a:b", "a:b"),
        ("abc", "abc"),
        ("https://example.com", "https://example.com"),
        ("bool:true", True),
        ("bool:False", False),
        ("none:", None),
        ("decimal:1.25", Decimal("1.25")),
        ("decimal.Decimal:1.25", Decimal("1.25")),
        (
            "uuid:12345678-1234-5678-1234-567812345678",
            uuid.UUID(int=0x12345678123456781234567812345678),
        ),
        ("datetime:2026-01-01T00:00:00+00:00", datetime(2026, 1, 1, tzinfo=UTC)),
        ("datetime.datetime:2026-01-01T12:30:00", datetime(2026, 1, 1, 12, 30)),
        ("date:2026-01-02", date(2026, 1, 2)),
        ("time:12:30", time(12, 30)),
        ("timedelta:90", timedelta(seconds=90)),
        ("datetime.timedelta:1.5", timedelta(seconds=1.5)),
        ("tests.strikes.test_values.Color:red", Color.RED),
    ],
)
def test_typed_text_is_parsed_as_pydocket_spells_it(text: str, value: Any) -> None:
    assert parse_value(text) == value
    assert type(parse_value(text)) is type(value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("int:abc", "not a valid int"),
        ("bool:maybe", "bool:true"),
        ("datetime:yesterday", "not a valid datetime"),
        ("no_such_module_xyz.Thing:1", "cannot load type"),
    ],
)
def test_bad_typed_text_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_value(text)


@pytest.mark.parametrize(
    "value",
    [
        123,
        -1.25,
        "a:b c",
        True,
        None,
        Decimal("1.10"),
        uuid.uuid4(),
        datetime(2026, 1, 1, tzinfo=UTC),
        date(2026, 1, 2),
        time(1, 2, 3),
        timedelta(days=3, microseconds=7),
        Color.RED,
        (1, "two"),
    ],
)
def test_values_are_stored_and_read_back_unchanged(value: Any) -> None:
    assert decode_value(encode_value(value)) == value
    assert type(decode_value(encode_value(value))) is type(value)


def test_common_types_are_stored_readably_and_others_pickled() -> None:
    assert encode_value(123) == "int:123"
    assert encode_value(True) == "bool:true"
    assert encode_value(Color.RED).startswith("pickle:")
    assert value_key(Color.RED) == f"repr:{__name__}.Color:<Color.RED: 'red'>"


def test_a_strike_has_one_id_however_it_is_named() -> None:
    async def send_email(customer_id: int) -> None: ...

    assert strike_of(send_email, None, "==", None).id == strike_of("send_email", None, ">", 5).id
    assert strike_of(None, "x", "between", [1, 2]).id == strike_of(None, "x", "between", (1, 2)).id
    assert strike_of(None, "x", "==", 1).id != strike_of(None, "x", "==", 1.0).id


def test_a_strike_survives_its_stored_form() -> None:
    strike = strike_of("sync", "customer_id", "between", (Decimal(1), datetime(2026, 1, 1)))

    assert Strike.decode(strike.encode()) == strike
    assert strike.words() == [
        "sync",
        "customer_id",
        "between",
        "decimal:1",
        "datetime:2026-01-01T00:00:00",
    ]
    assert str(strike) == (
        "sync where customer_id between Decimal('1') and datetime.datetime(2026, 1, 1, 0, 0)"
    )


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ((None, None, "==", None), "needs a function, a parameter or both"),
        (("", None, "==", None), "function=''"),
        ((None, "x", "~", 1), "is not one of"),
        ((None, "x", "between", 1), "pair"),
        ((None, "x", "between", (1, 2, 3)), "pair"),
        ((None, "x", "between", "ab"), "pair"),
        ((None, "", "==", 1), "parameter=''"),
    ],
)
def test_a_strike_that_names_nothing_sensible_is_refused(
    arguments: tuple[Any, Any, Any, Any], says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        strike_of(*arguments)


def test_an_unpicklable_value_is_refused() -> None:
    import threading

    with pytest.raises(TypeError, match="picklable"):
        strike_of(None, "x", "==", threading.Lock())
