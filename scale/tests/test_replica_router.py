"""Reads go to a real streaming replica, and fall back to the primary when the replica is down."""

import contextlib
import re
import shutil

import psycopg2
import pytest
import requests

from scale.tests.postgres_clusters import (
    Cluster,
    make_workdir,
    postgres_bin_dir,
    start_primary_and_replica,
    wait_for,
)
from scale.tests.processes import run_django

pytestmark = pytest.mark.skipif(postgres_bin_dir() is None, reason='PostgreSQL server binaries are not installed')


@pytest.fixture(scope='module')
def replicated():
    workdir = make_workdir()
    try:
        primary, replica = start_primary_and_replica(postgres_bin_dir(), workdir)
        yield primary, replica
    finally:
        for cluster in ('replica', 'primary'):
            with contextlib.suppress(Exception):
                Cluster(postgres_bin_dir(), workdir / cluster, 0).stop()
        shutil.rmtree(workdir, ignore_errors=True)


def has_row(database_url, execution_id):
    """Whether the row has streamed to `database_url` yet (its table may not have, either)."""
    with contextlib.closing(psycopg2.connect(database_url)) as database, database.cursor() as cursor:
        try:
            cursor.execute('SELECT count(*) FROM job_exe WHERE id = %s', [execution_id])
        except psycopg2.errors.UndefinedTable:
            return False
        return cursor.fetchone()[0] == 1


def statements_on(base, alias):
    body = requests.get(f'{base}/metrics', timeout=10).text
    return sum(
        float(value)
        for value in re.findall(rf'^django_db_execute_total{{alias="{alias}",[^}}]*}} (\S+)$', body, re.MULTILINE)
    )


def listed_ids(base):
    response = requests.get(f'{base}/job-executions/', timeout=10)
    assert response.status_code == 200, response.text
    return [row['id'] for row in response.json()['results']]


def test_reads_use_the_replica_and_fall_back_to_the_primary(replicated, start_gunicorn):
    primary, replica = replicated
    run_django(primary.url, 'migrate', '--noinput')
    execution_id = int(
        run_django(primary.url, code='from job.tests.factories import make_execution\nprint(make_execution().id)')
    )
    wait_for(lambda: has_row(replica.url, execution_id))
    base = start_gunicorn(DATABASE_URL=primary.url, DATABASE_REPLICA_URLS=replica.url, REPLICA_RETRY_INTERVAL='60')

    assert listed_ids(base) == [execution_id]
    assert statements_on(base, 'replica_1') > 0 and statements_on(base, 'default') == 0

    replica.stop()
    assert listed_ids(base) == [execution_id]
    assert statements_on(base, 'default') > 0
    ready = requests.get(f'{base}/readyz', timeout=10)
    assert ready.status_code == 200
    assert ready.json()['databases'] == {'default': 'ok', 'replica_1': 'unavailable'}
