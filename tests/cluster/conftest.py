"""A cluster of its own for each test here: these tests kill masters and move slots."""

from collections.abc import Iterator

import pytest

from ..redis_cluster import RedisCluster


@pytest.fixture
def cluster() -> Iterator[RedisCluster]:
    cluster = RedisCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.cleanup()
