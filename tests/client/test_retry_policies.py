"""Retry policies as users build them: forever, jitter, forced retries and their errors."""

import math
from datetime import UTC, datetime, timedelta

import docket
import pytest
from docket import ExponentialRetry, ForcedRetry, InvalidScheduleError, Retry
from docket._time import datetime_to_ms, now_ms


def test_retry_forever_retries_without_limit_at_its_delay() -> None:
    retry = Retry.forever(delay=timedelta(seconds=3))

    assert type(retry) is Retry
    assert (retry.attempts, retry.delay, retry.jitter, retry.attempt) == (
        None,
        timedelta(seconds=3),
        0.0,
        1,
    )


def test_exponential_retry_forever_keeps_its_delays() -> None:
    retry = ExponentialRetry.forever(
        minimum_delay=timedelta(seconds=2), maximum_delay=timedelta(seconds=32), jitter=0.25
    )

    assert type(retry) is ExponentialRetry
    assert retry.attempts is None
    assert (retry.minimum_delay, retry.maximum_delay, retry.jitter) == (
        timedelta(seconds=2),
        timedelta(seconds=32),
        0.25,
    )


def test_forever_defaults_are_those_of_the_constructors() -> None:
    assert Retry.forever().delay == Retry().delay
    exponential, default = ExponentialRetry.forever(), ExponentialRetry()
    assert (exponential.minimum_delay, exponential.maximum_delay) == (
        default.minimum_delay,
        default.maximum_delay,
    )


@pytest.mark.parametrize("jitter", [-0.1, 1.01, 2, math.nan, math.inf, True, "0.5"])
def test_jitter_outside_zero_to_one_is_refused_saying_what_it_is(jitter: object) -> None:
    with pytest.raises(ValueError, match=r"jitter=.*fraction of each delay from 0 to 1"):
        Retry(attempts=2, jitter=jitter)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"ExponentialRetry\(jitter="):
        ExponentialRetry(attempts=2, jitter=jitter)  # type: ignore[arg-type]


@pytest.mark.parametrize("jitter", [0, 0.0, 0.5, 1, 1.0])
def test_jitter_from_zero_to_one_is_kept_as_a_float(jitter: float) -> None:
    assert Retry(jitter=jitter).jitter == float(jitter)
    assert ExponentialRetry(jitter=jitter).jitter == float(jitter)


def test_retry_still_points_minimum_delay_to_exponential_retry() -> None:
    with pytest.raises(TypeError, match="ExponentialRetry"):
        Retry(attempts=2, minimum_delay=timedelta(seconds=1))  # type: ignore[arg-type]


def test_in_raises_forced_retry_due_that_long_from_now() -> None:
    before = now_ms()
    with pytest.raises(ForcedRetry) as raised:
        Retry(attempts=3).in_(timedelta(seconds=5))
    after = now_ms()

    assert before + 5000 <= raised.value.when_ms <= after + 5000
    assert raised.value.when == datetime.fromtimestamp(raised.value.when_ms / 1000, UTC)
    assert "asked to run again at" in str(raised.value)


def test_after_is_in_by_another_name() -> None:
    before = now_ms()
    with pytest.raises(ForcedRetry) as raised:
        Retry(attempts=3).after(timedelta(milliseconds=250))

    assert before + 250 <= raised.value.when_ms <= now_ms() + 250


def test_a_negative_delay_means_at_once() -> None:
    before = now_ms()
    with pytest.raises(ForcedRetry) as raised:
        Retry(attempts=3).in_(timedelta(seconds=-10))

    assert before <= raised.value.when_ms <= now_ms()


def test_at_raises_forced_retry_due_at_that_time() -> None:
    when = datetime.now(UTC) + timedelta(minutes=3)
    with pytest.raises(ForcedRetry) as raised:
        ExponentialRetry(attempts=3).at(when)

    assert raised.value.when_ms == datetime_to_ms(when)


def test_at_a_past_time_means_at_once() -> None:
    before = now_ms()
    with pytest.raises(ForcedRetry) as raised:
        Retry(attempts=3).at(datetime(2001, 1, 1, tzinfo=UTC))

    assert before <= raised.value.when_ms <= now_ms()


def test_at_refuses_a_naive_datetime_as_scheduling_does() -> None:
    with pytest.raises(InvalidScheduleError, match="no time zone"):
        Retry(attempts=3).at(datetime(2030, 1, 1))


def test_forced_retry_is_exported_from_docket_and_reports_it() -> None:
    assert docket.ForcedRetry is ForcedRetry
    assert ForcedRetry.__module__ == "docket"
    assert issubclass(ForcedRetry, Exception)


def test_repr_shows_jitter_only_when_there_is_some() -> None:
    assert "jitter" not in repr(Retry(attempts=2))
    assert "jitter=0.5" in repr(Retry(attempts=2, jitter=0.5))
    assert "jitter=0.5" in repr(ExponentialRetry(attempts=2, jitter=0.5))
