"""CACHE_URL gives every instance one Redis cache, so the logs throttle counts a client across instances; a cache
that does not answer makes /readyz say so."""

import shutil
import subprocess

import pytest
import redis

from scale.settings import cache_settings
from scale.tests.postgres_clusters import free_port, wait_for
from scale.tests.processes import run_django

REDIS_SERVER = shutil.which('redis-server') or shutil.which('/usr/bin/redis-server')


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


LOGS_CALLS = """
from django.test import Client
client = Client(REMOTE_ADDR='10.1.2.3', HTTP_HOST='localhost')
print(' '.join(str(client.get('/job-executions/%d/logs/' % {execution_id}).status_code) for _ in range(3)))
"""


def logs_statuses_in_a_new_process(database_url, execution_id, **env):
    return (
        run_django(database_url, code=LOGS_CALLS.format(execution_id=execution_id), LOGS_THROTTLE_RATE='3/min', **env)
        .splitlines()[-1]
        .split()
    )  # after the request log


@pytest.fixture
def database_with_an_execution(tmp_path):
    url = f'sqlite:///{tmp_path / "logs.sqlite3"}'
    run_django(url, 'migrate', '--noinput')
    return url, int(run_django(url, code='from job.tests.factories import make_execution\nprint(make_execution().id)'))


def test_with_a_shared_cache_the_logs_throttle_holds_across_processes(database_with_an_execution, redis_url):
    url, execution_id = database_with_an_execution
    assert logs_statuses_in_a_new_process(url, execution_id, CACHE_URL=redis_url) == ['200'] * 3
    assert logs_statuses_in_a_new_process(url, execution_id, CACHE_URL=redis_url) == ['429'] * 3


def test_without_one_each_process_counts_alone(database_with_an_execution):
    url, execution_id = database_with_an_execution
    assert logs_statuses_in_a_new_process(url, execution_id, CACHE_URL='') == ['200'] * 3
    assert logs_statuses_in_a_new_process(url, execution_id, CACHE_URL='') == ['200'] * 3


@pytest.mark.django_db
def test_a_shared_cache_that_does_not_answer_makes_the_instance_not_ready(api, settings, closed_port, caplog):
    wrong = f'redis://:secret-password@127.0.0.1:{closed_port}/0'
    settings.CACHE_URL = wrong
    settings.CACHES = {'default': cache_settings(wrong)}
    ready = api.get('/readyz')
    assert ready.status_code == 503
    [problem] = ready.json()['cache']
    assert problem.startswith(f'CACHE_URL redis://:***@127.0.0.1:{closed_port}/0 does not answer: ')
    assert 'secret-password' not in ready.content.decode() + caplog.text
    assert f'CACHE_URL redis://:***@127.0.0.1:{closed_port}/0 does not answer' in caplog.text


@pytest.mark.django_db
def test_a_shared_cache_that_answers_is_ready(api, settings, redis_url):
    settings.CACHE_URL = redis_url
    settings.CACHES = {'default': cache_settings(redis_url)}
    assert api.get('/readyz').status_code == 200
