"""Jitter: each retry waits its delay plus a uniform random extra of up to jitter x delay."""

from datetime import timedelta

from docket import CurrentExecution, Docket, Execution, ExponentialRetry, Retry, Worker
from docket._time import now_ms
from docket_worker._retry import retry_delay_ms

DRAWS = 4000


def test_without_jitter_the_delays_are_exact() -> None:
    linear = Retry(attempts=5, delay=timedelta(seconds=3))
    exponential = ExponentialRetry(
        attempts=5, minimum_delay=timedelta(seconds=2), maximum_delay=timedelta(seconds=32)
    )

    assert [retry_delay_ms(linear, attempt) for attempt in range(1, 6)] == [3000] * 4 + [None]
    assert [retry_delay_ms(exponential, attempt) for attempt in range(1, 6)] == [
        2000,
        4000,
        8000,
        16000,
        None,
    ]


def test_jitter_draws_stay_between_the_delay_and_the_delay_plus_jitter() -> None:
    retry = Retry(attempts=None, delay=timedelta(seconds=1), jitter=0.5)

    draws = [retry_delay_ms(retry, 1) for _ in range(DRAWS)]
    delays = [draw for draw in draws if draw is not None]

    assert len(delays) == DRAWS
    assert all(1000 <= delay <= 1500 for delay in delays)
    # Spread over the whole range, evenly: a uniform draw's mean is the middle (1250 ms; the
    # standard error of the mean of 4000 draws is about 2.3 ms).
    assert min(delays) < 1050
    assert max(delays) > 1450
    assert 1230 < sum(delays) / DRAWS < 1270
    assert len(set(delays)) > 400


def test_exponential_jitter_is_a_fraction_of_each_doubled_delay() -> None:
    retry = ExponentialRetry(
        attempts=None,
        minimum_delay=timedelta(seconds=2),
        maximum_delay=timedelta(seconds=32),
        jitter=0.1,
    )

    for attempt, nominal in [(1, 2000), (2, 4000), (3, 8000), (4, 16000), (6, 32000)]:
        delays = [retry_delay_ms(retry, attempt) for _ in range(500)]
        assert all(d is not None and nominal <= d <= nominal * 1.1 for d in delays), attempt
        assert len(set(delays)) > 1, attempt


def test_full_jitter_may_double_a_delay_but_no_more() -> None:
    retry = Retry(attempts=None, delay=timedelta(milliseconds=100), jitter=1.0)

    delays = [retry_delay_ms(retry, 1) for _ in range(DRAWS)]

    assert all(d is not None and 100 <= d <= 200 for d in delays)
    assert len(set(delays)) > 50


async def test_a_jittered_retry_runs_no_earlier_than_its_delay(
    docket: Docket, worker: Worker
) -> None:
    failed_at: list[int] = []
    due: list[int] = []

    async def flaky(
        retry: Retry = Retry(attempts=5, delay=timedelta(milliseconds=20), jitter=1.0),
        execution: Execution = CurrentExecution(),
    ) -> None:
        due.append(execution.when_ms)
        if retry.attempt < 5:
            failed_at.append(now_ms())
            raise ValueError("not yet")

    await docket.add(flaky)()
    await worker.run_until_finished()

    assert len(due) == 5
    waits = [next_due - failed for failed, next_due in zip(failed_at, due[1:], strict=True)]
    # At least the delay; at most the delay doubled, plus the moment between raising and the
    # worker scheduling the retry.
    assert all(20 <= wait <= 40 + 250 for wait in waits), waits
