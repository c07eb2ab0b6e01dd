"""CACHE_URL gives every instance one Redis cache, so DRF throttling counts a client across instances."""

import shutil
import subprocess

import pytest
import redis

from scale.tests.postgres_clusters import free_port, wait_for
from scale.tests.processes import run_django

REDIS_SERVER = shutil.which('redis-server') or shutil.which('/usr/bin/redis-server')

# Three requests a minute from one client address, spent in one process: what is left for another?
THROTTLED_REQUESTS = """
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.throttling import AnonRateThrottle

class ThreeAMinute(AnonRateThrottle):
    rate = '3/min'

request = Request(APIRequestFactory().get('/job-executions/', REMOTE_ADDR='10.1.2.3'))
print(sum(ThreeAMinute().allow_request(request, None) for _ in range(3)))
"""


@pytest.fixture
def redis_url():
    if REDIS_SERVER is None:
        pytest.skip('redis-server is not installed')
    port = free_port()
    server = subprocess.Popen(
        [REDIS_SERVER, '--port', str(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    wait_for(lambda: _answers(client), timeout=10)
    yield f'redis://127.0.0.1:{port}/0'
    server.terminate()
    server.wait(timeout=10)


def _answers(client):
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def allowed_in_a_new_process(tmp_path, **env):
    return int(run_django(f'sqlite:///{tmp_path / "db.sqlite3"}', code=THROTTLED_REQUESTS, **env))


def test_with_a_shared_cache_throttling_holds_across_instances(tmp_path, redis_url):
    assert allowed_in_a_new_process(tmp_path, CACHE_URL=redis_url) == 3
    assert allowed_in_a_new_process(tmp_path, CACHE_URL=redis_url) == 0


def test_without_one_each_instance_counts_alone(tmp_path):
    assert allowed_in_a_new_process(tmp_path, CACHE_URL='') == 3
    assert allowed_in_a_new_process(tmp_path, CACHE_URL='') == 3
