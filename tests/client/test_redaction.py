"""Credentials in a docket URL never reach a log line, a repr or an error message."""

import pytest
from docket import Docket
from docket._backends import redact_url
from docket._urls import redact_text


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://user:s3cret@cache:6380/1", "redis://user:***@cache:6380/1"),
        ("redis://:s3cret@cache/0", "redis://:***@cache/0"),
        ("rediss://default:s3cret@cache:6380/0", "rediss://default:***@cache:6380/0"),
        ("redis://cache/0?password=s3cret", "redis://cache/0?password=***"),
        ("redis://cache/0?db=2&password=s3cret&x=1", "redis://cache/0?db=2&password=***&x=1"),
        ("redis://cache/0?PASSWORD=s3cret", "redis://cache/0?PASSWORD=***"),
        ("redis://cache/0?pass%77ord=s3cret", "redis://cache/0?pass%77ord=***"),
        ("redis://cache/0?sentinel_password=s3cret", "redis://cache/0?sentinel_password=***"),
        ("rediss://cache/0?ssl_password=s3cret", "rediss://cache/0?ssl_password=***"),
        (
            "rediss://cache/0?ssl_keyfile_password=s3cret",
            "rediss://cache/0?ssl_keyfile_password=***",
        ),
        ("redis://cache/0?client_secret=s3cret", "redis://cache/0?client_secret=***"),
        ("redis://cache/0?auth_token=s3cret", "redis://cache/0?auth_token=***"),
        ("redis://:s3%40cr%2Fet@cache/0", "redis://:***@cache/0"),
        ("redis://cache/0?password=s3%26cr+et", "redis://cache/0?password=***"),
        ("redis://:s3@cr/et@cache:6379/0", "redis://:***@cache:6379/0"),
        ("redis://user:s3:cret@cache/0", "redis://user:***@cache/0"),
        ("unix://:s3cret@/run/redis.sock?db=2", "unix://:***@/run/redis.sock?db=2"),
        ("unix:///run/redis.sock?password=s3cret", "unix:///run/redis.sock?password=***"),
        ("redis+cluster://:s3cret@a:7000,b:7001/0", "redis+cluster://:***@a:7000,b:7001/0"),
        (
            "redis+sentinel://user:s3cret@a:26379,b:26379,[::1]:26379/mymaster/0"
            "?sentinel_password=s3cret",
            "redis+sentinel://user:***@a:26379,b:26379,[::1]:26379/mymaster/0"
            "?sentinel_password=***",
        ),
        ("memory://user:s3cret@tests?token=s3cret", "memory://user:***@tests?token=***"),
    ],
)
def test_every_credential_form_is_replaced_by_stars(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "redis://localhost:6379/0",
        "redis://alice@cache:6379/0",
        "rediss://cache:6380/0?ssl_cert_reqs=none&socket_timeout=1",
        "redis://[::1]:6379/0",
        "unix:///run/redis.sock?db=2",
        "memory://tests",
        "redis://cache/0?",
        "redis://:@cache/0?password=",
    ],
)
def test_urls_without_credentials_are_shown_unchanged(url: str) -> None:
    assert redact_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "redis://:s3cret@cache/0",
        "redis://cache/0?password=s3cret",
        "redis://:s3%63ret@cache/0",  # %63 is "c": what redis-py sends is the decoded form
        "redis://cache/0?password=s3%63ret",
    ],
)
def test_error_messages_lose_the_url_and_its_secrets(url: str) -> None:
    message = f"invalid URL {url!r}; AUTH s3cret refused"

    hidden = redact_text(message, url)

    assert "s3cret" not in hidden
    assert "s3%63ret" not in hidden
    assert redact_url(url) in hidden


def test_docket_repr_hides_the_password() -> None:
    opened = Docket(name="orders", url="redis://user:hunter2@cache:6379/0?ssl_password=hunter3")

    assert repr(opened) == (
        "Docket(name='orders', url='redis://user:***@cache:6379/0?ssl_password=***')"
    )


async def test_an_unknown_scheme_error_hides_the_password() -> None:
    with pytest.raises(ValueError, match="unknown scheme") as raised:
        async with Docket(url="redsi://user:hunter2@host:6379/0"):
            pass
    assert "hunter2" not in str(raised.value)
