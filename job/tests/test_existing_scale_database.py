"""A database whose tables Scale's own migrations made (JSON columns of type `json`, Scale's django_migrations
rows) is served after `migrate --fake-initial`, and reads through the API the same as on our own tables."""

import contextlib
import os
import uuid
from pathlib import Path

import psycopg2
import pytest
import requests
from django.db import connection

from scale.tests.processes import run_django

pytestmark = pytest.mark.skipif(connection.vendor != 'postgresql', reason='Scale databases are PostgreSQL')


def run_sql(database_url, *statements):
    """Run each statement outside a transaction (CREATE/DROP DATABASE need that); the last one's first row."""
    with contextlib.closing(psycopg2.connect(database_url)) as database:
        database.autocommit = True
        with database.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            return cursor.fetchone() if cursor.description else None


SCALE_SCHEMA = Path(__file__).with_name('scale_schema.sql')


@pytest.fixture
def scale_made_database():
    """A fresh database laid out as Scale's own migrations left it: tables, `json` columns, constraints, indexes
    and django_migrations rows written from the spec (job/tests/scale_schema.sql), not from our migrations."""
    name = f'scale_{uuid.uuid4().hex[:8]}'
    run_sql(os.environ['DATABASE_URL'], f'CREATE DATABASE {name}')
    url = os.environ['DATABASE_URL'].rsplit('/', 1)[0] + f'/{name}'
    [json_columns] = run_sql(
        url, SCALE_SCHEMA.read_text(), "SELECT count(*) FROM information_schema.columns WHERE data_type = 'json'"
    )
    assert json_columns == 14  # every JSON column the spec lists
    yield url
    run_sql(os.environ['DATABASE_URL'], f'DROP DATABASE {name} WITH (FORCE)')


def test_fake_initial_on_scales_own_tables_then_every_endpoint_reads_them(scale_made_database, start_gunicorn):
    migrated = run_django(scale_made_database, 'migrate', '--fake-initial', '--noinput')
    # Scale's rows already record each app's 0001_initial; only our later migrations run, on Scale's tables.
    assert 'job.0001_initial' not in migrated and 'Applying job.0002_list_indexes... OK' in migrated, migrated
    execution_id = run_django(
        scale_made_database,
        code=(
            'from job.models import JobExecution\n'
            'from job.tests.factories import make_full_execution\n'
            'execution = make_full_execution(stdout="out\\n", stderr="err\\n")\n'
            'print(execution.id)'
        ),
    ).strip()
    base = start_gunicorn(DATABASE_URL=scale_made_database)
    assert requests.get(f'{base}/readyz', timeout=30).status_code == 200

    details = requests.get(f'{base}/job-executions/{execution_id}/', timeout=30)
    assert details.status_code == 200, details.text
    assert details.json()['results'] == {'version': '1.0', 'output_data': [{'name': 'output_file', 'file_id': 3}]}
    assert details.json()['environment'] == {'version': '1.0'}
    listed = requests.get(
        f'{base}/job-executions/', params={'status': 'FAILED', 'order': '-node__hostname'}, timeout=30
    )
    assert [row['id'] for row in listed.json()['results']] == [int(execution_id)]
    # The triggers of job/0004 are on Scale's tables: the writes above were counted, and a current tag is a 304.
    assert int(listed.headers['ETag'].strip('"').split('-')[0]) > 0
    again = requests.get(listed.url, headers={'If-None-Match': listed.headers['ETag']}, timeout=30)
    assert again.status_code == 304
    logs = requests.get(f'{base}/job-executions/{execution_id}/logs/', timeout=30)
    assert (logs.json()['stdout'], logs.json()['stderr']) == ('out\n', 'err\n')
    for stream, content in (('stdout', b'out\n'), ('stderr', b'err\n')):
        assert requests.get(f'{base}/v3/job-executions/{execution_id}/logs/{stream}/', timeout=30).content == content


@pytest.fixture
def database_in_own_schema():
    """A fresh database whose tables live in schema `scale` (the owner's search_path), not in `public`."""
    name, owner = f'schema_{uuid.uuid4().hex[:8]}', f'owner_{uuid.uuid4().hex[:8]}'
    admin_url = os.environ['DATABASE_URL']
    run_sql(
        admin_url,
        f'CREATE DATABASE {name}',
        f"CREATE ROLE {owner} LOGIN PASSWORD 'owner'",
        f'ALTER ROLE {owner} SET search_path = scale',
    )
    url = admin_url.rsplit('/', 1)[0] + f'/{name}'
    run_sql(url, f'CREATE SCHEMA scale AUTHORIZATION {owner}', f'GRANT CREATE ON DATABASE {name} TO {owner}')
    scheme, rest = url.split('://', 1)
    yield f'{scheme}://{owner}:owner@{rest.split("@", 1)[-1]}', url
    run_sql(admin_url, f'DROP DATABASE {name} WITH (FORCE)', f'DROP ROLE {owner}')


def test_writes_are_counted_when_the_tables_are_not_in_public(database_in_own_schema):
    """The trigger function runs as its owner with a fixed search_path: it must name the schema the migration
    used, or every write Scale makes there would fail."""
    owner_url, admin_url = database_in_own_schema
    run_django(owner_url, 'migrate', '--noinput')
    assert run_sql(
        admin_url, "SELECT count(*) FROM pg_tables WHERE tablename = 'api_listed_change' AND schemaname = 'scale'"
    ) == (1,)
    counted = run_django(
        owner_url,
        code=(
            'from job.tests.factories import make_execution\n'
            'from job.selectors import listed_changes\n'
            'before = listed_changes("default")\n'
            'make_execution().save()\n'
            'print(listed_changes("default") - before)'
        ),
    )
    assert int(counted) > 0
