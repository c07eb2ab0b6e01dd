"""PostgreSQL stopped and started again under a running gunicorn: 503 JSON meanwhile, recovery without restart.

The cluster is the test's own, so it can be stopped; the test runs in the PostgreSQL pass of the suite.
"""

import concurrent.futures
import contextlib
import os
import shutil
import time

import psycopg2
import pytest
import requests

from scale.tests.postgres_clusters import Cluster, free_port, make_workdir, postgres_bin_dir
from scale.tests.processes import run_django
from scale.tests.timing import MARGIN

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get('DATABASE_URL', '').startswith(('postgres://', 'postgresql://')),
        reason='about a server database: runs in the PostgreSQL pass',
    ),
    pytest.mark.skipif(postgres_bin_dir() is None, reason='PostgreSQL server binaries are not installed'),
]

# Short enough to keep the test fast, long enough that a loaded CI machine answers a trivial query in time.
CONNECT_TIMEOUT = '1'


@pytest.fixture(scope='module')
def cluster():
    workdir = make_workdir()
    database = Cluster(postgres_bin_dir(), workdir / 'data', free_port())
    try:
        database.initdb()
        database.start()
        run_django(database.url, 'migrate', '--noinput')
        database.execution_id = int(
            run_django(database.url, code='from job.tests.factories import make_execution\nprint(make_execution().id)')
        )
        yield database
    finally:
        with contextlib.suppress(Exception):
            database.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def api_paths(execution_id):
    return [
        '/job-executions/',
        f'/job-executions/{execution_id}/',
        f'/job-executions/{execution_id}/logs/',
        f'/job-executions/{execution_id}/logs/stdout/',
    ]


def statuses(base, paths):
    return [requests.get(f'{base}{path}', timeout=10).status_code for path in paths]


def test_answers_503_json_while_postgresql_is_down_and_recovers_when_it_is_back(cluster, start_gunicorn):
    base = start_gunicorn(DATABASE_URL=cluster.url, DATABASE_CONNECT_TIMEOUT=CONNECT_TIMEOUT)
    paths = api_paths(cluster.execution_id)
    assert statuses(base, paths * 2) == [200] * 8  # both threads now hold a persistent connection

    cluster.stop(mode='fast')
    try:
        for path in paths:
            response = requests.get(f'{base}{path}', timeout=10)
            assert response.status_code == 503
            assert response.elapsed.total_seconds() < float(CONNECT_TIMEOUT) + MARGIN
            assert response.json()['detail'] == 'The database is unavailable; try again later.'
            assert response.headers['Retry-After'] == '5'
        assert requests.get(f'{base}/readyz', timeout=10).status_code == 503
    finally:
        cluster.start()

    assert statuses(base, paths * 2) == [200] * 8
    assert requests.get(f'{base}/readyz', timeout=10).status_code == 200


def test_a_connection_broken_by_a_restart_between_requests_is_replaced(cluster, start_gunicorn):
    base = start_gunicorn(DATABASE_URL=cluster.url, DATABASE_CONNECT_TIMEOUT=CONNECT_TIMEOUT)
    paths = api_paths(cluster.execution_id)
    assert statuses(base, paths * 2) == [200] * 8

    cluster.stop(mode='fast')
    cluster.start()
    # Every thread's pooled connection died with the old server: the health check drops it, not the request.
    assert statuses(base, paths * 2) == [200] * 8


def test_a_statement_past_the_timeout_is_cancelled_and_answers_503(cluster, start_gunicorn):
    base = start_gunicorn(DATABASE_URL=cluster.url, DATABASE_STATEMENT_TIMEOUT='0.5')
    with contextlib.closing(psycopg2.connect(cluster.url)) as blocker, blocker.cursor() as cursor:
        # A migration holding the table makes every query wait: the statement timeout ends the wait.
        cursor.execute('LOCK TABLE job_exe IN ACCESS EXCLUSIVE MODE')
        started = time.monotonic()
        response = requests.get(f'{base}/job-executions/', timeout=10)
        assert time.monotonic() - started < 0.5 + MARGIN
        blocker.rollback()
    assert response.status_code == 503
    assert response.json()['detail'].startswith('The database took too long to answer this request')
    assert statuses(base, ['/job-executions/']) == [200]  # the thread and its connection are free again


def wait_for_a_query_waiting_on_a_lock(cluster):
    with contextlib.closing(psycopg2.connect(cluster.url)) as observer:
        observer.autocommit = True
        with observer.cursor() as cursor:
            for _ in range(3000):
                cursor.execute('SELECT count(*) FROM pg_locks WHERE NOT granted')
                if cursor.fetchone()[0]:
                    return
                time.sleep(0.01)
    pytest.fail('no query waited on the lock within 30 s')


def test_a_request_in_flight_when_postgresql_stops_answers_503(cluster, start_gunicorn):
    base = start_gunicorn(DATABASE_URL=cluster.url, DATABASE_CONNECT_TIMEOUT=CONNECT_TIMEOUT)
    blocker = psycopg2.connect(cluster.url)
    try:
        blocker.cursor().execute('LOCK TABLE job_exe IN ACCESS EXCLUSIVE MODE')
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            waiting = pool.submit(requests.get, f'{base}/job-executions/', timeout=60)
            wait_for_a_query_waiting_on_a_lock(cluster)
            cluster.stop(mode='fast')
            stopped = time.monotonic()
            response = waiting.result()
            answered_after_stop = time.monotonic() - stopped
    finally:
        with contextlib.suppress(psycopg2.Error):
            blocker.close()
        cluster.start()
    assert response.status_code == 503
    assert response.json() == {'detail': 'The database is unavailable; try again later.'}
    # It waited inside PostgreSQL (seen above), and was answered once the server stopped, not at some timeout.
    assert answered_after_stop < MARGIN
    assert statuses(base, ['/job-executions/']) == [200]
