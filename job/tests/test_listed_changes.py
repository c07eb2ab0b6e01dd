"""The lists' version (job.selectors.listed_changes): triggers count every committed write to the tables a list
shows, on both databases; on PostgreSQL for any writer, without making writers wait, and in commit order."""

import contextlib
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from error.models import Error
from job.models import Job, JobExecution, JobType, JobTypeRevision, ListedChange, TriggerEvent
from job.selectors import listed_changes
from job.tests.factories import make_error, make_full_execution, make_job, make_node
from node.models import Node

postgresql_only = pytest.mark.skipif(connection.vendor != 'postgresql', reason='PostgreSQL triggers and roles')


def changes():
    return listed_changes('default')


@pytest.fixture
def execution(db):
    return make_full_execution()


SHOWN_ROWS = {
    'execution': lambda execution: execution,
    'job': lambda execution: execution.job,
    'job_type': lambda execution: execution.job.job_type,
    'node': lambda execution: execution.node,
    'error': lambda execution: execution.error,
}


@pytest.mark.parametrize('shown', SHOWN_ROWS)
def test_saving_a_shown_row_counts(execution, shown):
    before = changes()
    SHOWN_ROWS[shown](execution).save()
    assert changes() > before


@pytest.mark.parametrize('model', [JobExecution, Job, JobType, Node, Error])
def test_a_bulk_update_counts(execution, model):
    before = changes()
    model.objects.update(last_modified=execution.last_modified)
    assert changes() > before


def test_deleting_an_execution_and_creating_one_count(execution):
    before = changes()
    JobExecution.objects.filter(pk=execution.pk).delete()
    after_delete = changes()
    assert after_delete > before
    make_full_execution()
    assert changes() > after_delete


def test_rows_no_list_shows_do_not_count(execution):
    before = changes()
    JobTypeRevision.objects.update(revision_num=7)
    TriggerEvent.objects.update(type='OTHER')
    assert changes() == before


def test_reading_does_not_count(execution, api):
    before = changes()
    api.get('/job-executions/')
    api.get(f'/job-executions/{execution.id}/')
    assert changes() == before


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_truncate_counts():
    make_full_execution()
    before = changes()
    with connection.cursor() as cursor:
        cursor.execute('TRUNCATE job_exe')
    assert changes() > before


@postgresql_only
def test_the_trigger_function_looks_in_our_tables_schema_only(db):
    """SECURITY DEFINER: the writer's search_path must not decide which table it inserts into."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT proconfig, prosecdef FROM pg_proc WHERE proname = 'api_count_listed_change'")
        [(config, security_definer)] = cursor.fetchall()
        cursor.execute('SELECT current_schema()')
        schema = cursor.fetchone()[0]
    assert security_definer and config == [f'search_path=pg_catalog, {schema}']


@postgresql_only
def test_writers_fold_their_rows_and_keep_the_sum(db):
    before = changes()
    with connection.cursor() as cursor:
        for _ in range(250):
            cursor.execute('UPDATE job_exe SET timeout = timeout')
    assert changes() == before + 250
    assert ListedChange.objects.count() < 110  # folded every 100 ids, not one row per statement


def raw_connection():
    """A connection of the database driver itself, as another process (Scale) would hold, in autocommit."""
    raw = connection.get_new_connection(connection.get_connection_params())
    raw.autocommit = True
    return contextlib.closing(raw)


def run(raw, sql, params=()):
    with raw.cursor() as cursor:
        cursor.execute(sql, params)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_write_committed_after_a_newer_one_still_renews_the_tag(api):
    """The case a version made of the newest last_modified and the count missed: an older-stamped save that
    becomes visible after a newer one."""
    first, second = make_full_execution(), make_full_execution()
    with raw_connection() as slow, raw_connection() as fast:
        run(slow, 'BEGIN')
        run(
            slow,
            "UPDATE job_exe SET status = 'RUNNING', last_modified = now() - interval '1 minute' WHERE id = %s",
            [first.id],
        )
        run(fast, 'UPDATE job_exe SET last_modified = now() WHERE id = %s', [second.id])
        etag = api.get('/job-executions/')['ETag']
        run(slow, 'COMMIT')
    again = api.get('/job-executions/', HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200
    assert {row['id']: row['status'] for row in again.json()['results']}[first.id] == 'RUNNING'


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_writer_needs_no_rights_on_the_change_table(execution):
    """Scale writes with its own database user; the trigger function runs as its owner."""
    role = 'scale_writer_for_test'
    with connection.cursor() as cursor:
        cursor.execute(f'DROP ROLE IF EXISTS {role}')
        cursor.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'writer'")
        cursor.execute(f'GRANT SELECT, UPDATE ON job_exe TO {role}')
    try:
        params = {**connection.get_connection_params(), 'user': role, 'password': 'writer'}
        raw = connection.get_new_connection(params)
        raw.autocommit = True
        with contextlib.closing(raw):
            before = changes()
            with pytest.raises(Exception, match='permission denied'):
                run(raw, 'SELECT * FROM api_listed_change')
            run(raw, 'UPDATE job_exe SET timeout = 60 WHERE id = %s', [execution.id])
        assert changes() == before + 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY {role}')
            cursor.execute(f'DROP ROLE {role}')


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_writers_never_wait_for_each_other_on_the_change_table(execution):
    """A writer whose transaction stays open does not hold up another writer's folding, and both are counted."""
    before = changes()
    with raw_connection() as open_writer, raw_connection() as busy_writer:
        run(open_writer, 'BEGIN')
        run(open_writer, 'UPDATE job_exe SET timeout = 61 WHERE id = %s', [execution.id])
        run(busy_writer, "SET lock_timeout = '2s'")  # any wait on a lock would become an error here
        finished = threading.Event()

        def write_a_lot():
            for _ in range(150):  # crosses at least one fold
                run(busy_writer, 'UPDATE job_exe SET timeout = 62 WHERE id <> %s', [execution.id])
            finished.set()

        worker = threading.Thread(target=write_a_lot)
        worker.start()
        worker.join(timeout=30)
        assert finished.is_set()
        assert changes() == before + 150
        run(open_writer, 'COMMIT')
    assert changes() == before + 151


SCALES_INSERT = """
INSERT INTO job_exe (job_id, status, command_arguments, timeout, environment, requires_cleanup, results_manifest,
                     results, created, queued, last_modified)
SELECT job_id, 'QUEUED', command_arguments, timeout, environment, requires_cleanup, results_manifest, results, created,
       queued, last_modified
FROM job_exe WHERE id = %s
"""


@pytest.mark.django_db(transaction=True)
def test_the_migration_reverses_cleanly_for_scales_writers():
    """Rolled back, no trigger is left behind to fail Scale's writes; migrated again, writes are counted again."""
    written = make_full_execution()
    call_command('migrate', 'job', '0003', verbosity=0)
    try:
        assert ListedChange._meta.db_table not in connection.introspection.table_names()
        # As Scale writes, with the columns of its own schema (the model has one more since job/0007).
        make_job(error=make_error())
        make_node()
        with connection.cursor() as cursor:
            cursor.execute(SCALES_INSERT, [written.pk])
            cursor.execute('UPDATE job_exe SET status = %s WHERE job_id = %s', ['CANCELED', written.job_id])
            cursor.execute('DELETE FROM job_exe WHERE id = %s', [written.pk])
    finally:
        call_command('migrate', verbosity=0)  # node and error count through job/0004 too
    before = changes()
    make_full_execution()
    assert changes() > before
