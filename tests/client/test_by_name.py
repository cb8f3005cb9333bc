"""Scheduling by task name, from clients that never imported the task function."""

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from docket import Docket, InvalidTaskError, Worker, _dead

from ..conftest import WorkerFactory
from ..helpers import BUILT_IN_TASKS
from ._support import soon, stored_keys, tomorrow

runs: list[tuple[int, str]] = []


async def send_followup_email(customer_id: int, name: str) -> None:
    runs.append((customer_id, name))


@pytest.fixture(autouse=True)
def fresh_runs() -> None:
    runs.clear()


async def test_add_by_name_from_a_separate_client_runs_the_workers_registered_task(
    docket: Docket, worker: Worker
) -> None:
    docket.register(send_followup_email)

    async with Docket(name=docket.name, url=docket.url) as web_server:
        execution = await web_server.add("send_followup_email")(12345, name="Jane Smith")

    await worker.run_until_finished()

    assert runs == [(12345, "Jane Smith")]
    assert execution.function_name == "send_followup_email"
    assert execution.function is None


async def test_replace_and_cancel_by_name_work_like_by_function(
    docket: Docket, worker: Worker
) -> None:
    docket.register(send_followup_email)

    async with Docket(name=docket.name, url=docket.url) as web_server:
        await web_server.add("send_followup_email", when=tomorrow(), key="a")(1, "cancelled")
        await web_server.add("send_followup_email", when=tomorrow(), key="b")(2, "Jane Smith")
        await web_server.replace("send_followup_email", when=soon(), key="b")(2, "Jane Q. Smith")
        assert await web_server.cancel("a") is True

    await worker.run_until_finished()

    assert runs == [(2, "Jane Q. Smith")]


async def test_keys_are_shared_between_by_name_and_by_function_calls(
    docket: Docket, worker: Worker
) -> None:
    await docket.add(send_followup_email, key="followup")(1, "by function")
    await docket.add("send_followup_email", key="followup")(2, "by name")
    await worker.run_until_finished()

    assert runs == [(1, "by function")]


async def test_by_name_arguments_are_only_checked_by_the_worker_when_the_client_lacks_the_task(
    docket: Docket, worker: Worker
) -> None:
    docket.register(send_followup_email)

    async with Docket(name=docket.name, url=docket.url) as web_server:
        await web_server.add("send_followup_email")("too", "many", "arguments")

    await worker.run_until_finished()

    assert runs == []
    assert worker.statistics().failed == 1


async def test_by_name_arguments_are_checked_at_the_call_when_the_client_registered_it(
    docket: Docket,
) -> None:
    docket.register(send_followup_email)

    with pytest.raises(InvalidTaskError, match=r"send_followup_email\(\) cannot take"):
        await docket.add("send_followup_email")("too", "many", "arguments")

    assert await stored_keys(docket) == []


async def test_task_name_no_worker_registered_is_dead_lettered_with_the_reason(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    worker = await make_worker(unknown_task_grace=timedelta(0))
    await docket.add("send_invoice", key="invoice-7")(7)
    await docket.add(send_followup_email)(12345, "Jane Smith")
    await worker.run_until_finished()

    assert runs == [(12345, "Jane Smith")]

    [letter] = await docket.dead_letters()
    assert letter.key == "invoice-7"
    assert letter.function == "send_invoice"
    assert "'send_invoice'" in letter.reason
    assert "register" in letter.reason
    assert worker.statistics().dead_lettered == 1


async def test_purge_of_one_key_deletes_only_its_dead_letters(
    docket: Docket, make_worker: WorkerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_dead, "PAGE", 2)  # the letters are read a few pages at a time
    keys = ["a", "b", "c", "d", "e"]
    for key in keys:
        await docket.add("send_invoice", key=key)(key)
    worker = await make_worker(unknown_task_grace=timedelta(0))
    await worker.run_until_finished()
    assert sorted(letter.key for letter in await docket.dead_letters()) == keys

    assert await docket.purge_dead_letters("c") == 1
    assert await docket.purge_dead_letters("c") == 0
    assert await docket.purge_dead_letters("no-such-key") == 0
    assert sorted(letter.key for letter in await docket.dead_letters()) == ["a", "b", "d", "e"]
    assert (await docket.snapshot()).dead_letters == 4

    assert await docket.purge_dead_letters() == 4
    assert await docket.dead_letters() == []


async def test_empty_task_name_is_refused_at_the_call(docket: Docket) -> None:
    with pytest.raises(InvalidTaskError, match="name cannot be empty"):
        docket.add("")

    assert await stored_keys(docket) == []


async def test_register_collection_makes_every_task_known_by_name(
    docket: Docket, worker: Worker
) -> None:
    from ..spec import my_tasks

    my_tasks.ran.clear()
    docket.register_collection("tests.spec.my_tasks:my_task_collection")
    await docket.add("my_first_task")()
    await worker.run_until_finished()

    assert my_tasks.ran == ["my_first_task"]


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("tests.spec.my_tasks", "must look like 'module:attribute'"),
        ("tests.spec.no_such_module:tasks", "cannot import module 'tests.spec.no_such_module'"),
        ("tests.spec.my_tasks:no_such_collection", "has no attribute 'no_such_collection'"),
        ("tests.client._support:__doc__", "not a list of async task functions"),
    ],
)
def test_register_collection_with_a_bad_path_says_what_is_wrong(path: str, says: str) -> None:
    docket = Docket(name="collections", url="memory://collections")

    with pytest.raises(InvalidTaskError, match=says.replace("(", r"\(")):
        docket.register_collection(path)

    assert set(docket.tasks) == BUILT_IN_TASKS


def another_send_followup_email() -> Callable[[int, str], Awaitable[None]]:
    """A different task that happens to have the same function name."""

    async def send_followup_email(customer_id: int, name: str) -> None: ...

    return send_followup_email


def test_two_different_tasks_with_one_name_cannot_both_be_registered() -> None:
    docket = Docket(name="collections", url="memory://collections")
    docket.register(send_followup_email)
    docket.register(send_followup_email)

    with pytest.raises(InvalidTaskError, match="rename one of them"):
        docket.register(another_send_followup_email())

    assert docket.tasks["send_followup_email"] is send_followup_email
    assert set(docket.tasks) == BUILT_IN_TASKS | {"send_followup_email"}
