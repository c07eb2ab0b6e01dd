"""/healthz and /readyz: answered without authentication or agents; 503 JSON when the database is down."""

import pytest
import requests
from django.core.management import call_command
from django.db import connection

from scale.tests.timing import MARGIN


@pytest.mark.django_db
def test_healthz_and_readyz_answer_ok_with_the_database_up(api):
    assert api.get('/healthz').json() == {'status': 'ok'}
    ready = api.get('/readyz')
    assert ready.status_code == 200
    assert ready.json() == {'status': 'ok', 'databases': {'default': 'ok'}, 'migrations': 'ok'}


@pytest.mark.django_db(transaction=True)
def test_readyz_answers_503_until_the_migrations_are_applied(api, monkeypatch):
    """A release whose migrations have not run would fail its lists: the load balancer must keep it out."""
    monkeypatch.setattr('scale.health._migrated', False)
    call_command('migrate', 'job', '0003', verbosity=0)
    try:
        ready = api.get('/readyz')
        assert ready.status_code == 503
        assert ready.json() == {'status': 'unavailable', 'databases': {'default': 'ok'}, 'migrations': 'pending'}
    finally:
        call_command('migrate', verbosity=0)  # node and error count through job/0004 too
    assert api.get('/readyz').status_code == 200


def test_readyz_answers_503_when_the_database_is_down(start_gunicorn, closed_port):
    base = start_gunicorn(DATABASE_URL=f'postgres://nobody@127.0.0.1:{closed_port}/scale')
    assert requests.get(f'{base}/healthz', timeout=5).json() == {'status': 'ok'}
    ready = requests.get(f'{base}/readyz', timeout=10)
    assert ready.status_code == 503
    assert ready.json() == {'status': 'unavailable', 'databases': {'default': 'unavailable'}}


@pytest.mark.django_db
def test_health_answers_head_for_probes_and_refuses_writes(api):
    assert api.head('/healthz').status_code == 200
    assert api.post('/healthz').status_code == 405


def test_readyz_gives_up_on_a_database_that_hangs_within_the_connect_timeout(start_gunicorn, hanging_agent):
    base = start_gunicorn(
        DATABASE_URL=f'postgres://nobody@127.0.0.1:{hanging_agent}/scale', DATABASE_CONNECT_TIMEOUT='1'
    )
    ready = requests.get(f'{base}/readyz', timeout=10)
    assert ready.status_code == 503
    assert ready.elapsed.total_seconds() < 1 + MARGIN  # the connect timeout, plus the margin


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != 'postgresql', reason='the counting triggers are PostgreSQL only')
def test_readyz_answers_503_naming_a_counting_trigger_that_is_disabled(api):
    with connection.cursor() as cursor:
        cursor.execute('ALTER TABLE job_exe DISABLE TRIGGER api_execution_count_delete')
    ready = api.get('/readyz')
    assert ready.status_code == 503
    assert ready.json() == {
        'status': 'unavailable',
        'databases': {'default': 'ok'},
        'migrations': 'ok',
        'untrusted_counts': ['job_exe.api_execution_count_delete'],
    }
