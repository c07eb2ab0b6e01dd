"""The per-group execution counts (job.counts, migration job/0005) against COUNT(*), on PostgreSQL: random writes
from several connections, committed and rolled back, interleaved in open transactions; after every step each group
(status, job type, node) holds exactly the executions the tables hold, and each execution's own job type (migration
job/0007, what the page filters on) is its job's, so every filter combination's count and rows are exact."""

import contextlib
import io
import random
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from job.counts import COUNT_TABLE, count_sql, grouped_count, job_types, missing_triggers, recount
from job.filtersets import JobExecutionFilterSet
from job.models import JobExecution
from job.tests.factories import make_job, make_job_type, make_node

pytestmark = [
    pytest.mark.skipif(connection.vendor != 'postgresql', reason='the counting triggers are PostgreSQL only'),
    pytest.mark.django_db(transaction=True),
]

STATUSES = [status for status, _ in JobExecution.Status.choices]
WRITERS = 3  # connections; writer w owns the jobs with index % WRITERS == w, so open transactions never block


@pytest.fixture
def world():
    """Job types (two share a name, one has no category), nodes, and jobs; ids as the tests draw them."""
    types = [
        make_job_type(name='alpha', version='1'),
        make_job_type(name='alpha', version='2'),
        make_job_type(name='beta', category='vector'),
        make_job_type(name='gamma', category=None),
    ]
    nodes = [make_node() for _ in range(3)]
    jobs = [make_job(job_type=types[i % len(types)]) for i in range(2 * WRITERS)]
    return {'types': [t.id for t in types], 'nodes': [n.id for n in nodes], 'jobs': [j.id for j in jobs]}


def raw_connection():
    raw = connection.get_new_connection(connection.get_connection_params())
    raw.autocommit = True
    return contextlib.closing(raw)


def run(raw, sql, params=()):
    with raw.cursor() as cursor:
        cursor.execute(sql, params)


INSERT = """
INSERT INTO job_exe (job_id, status, node_id, command_arguments, timeout, environment, requires_cleanup,
                     results_manifest, results, created, queued, last_modified)
SELECT %s, %s, %s, 'x', 60, '{}', false, '{}', '{}', now(), now(), now() FROM generate_series(1, %s)
"""


def owned(world, writer):
    return [job for index, job in enumerate(world['jobs']) if index % WRITERS == writer]


# One write: (kind, parameters drawn by hypothesis). Each touches only the jobs of the writer that runs it.
writes = st.one_of(
    st.tuples(st.just('insert'), st.integers(0, 1), st.sampled_from(STATUSES), st.integers(-1, 2), st.integers(1, 4)),
    st.tuples(st.just('status'), st.integers(0, 1), st.sampled_from(STATUSES), st.integers(0, 3)),
    st.tuples(st.just('node'), st.integers(0, 1), st.integers(-1, 2), st.integers(0, 3)),
    st.tuples(st.just('delete'), st.integers(0, 1), st.integers(0, 2)),
    st.tuples(st.just('job_type'), st.integers(0, 1), st.integers(0, 3)),
    st.tuples(st.just('execution_job_type'), st.integers(0, 1), st.integers(0, 3), st.integers(0, 3)),
    st.tuples(st.just('noop_update'), st.integers(0, 1)),
)


def apply(raw, world, writer, write):
    """Runs one drawn write on `raw` for `writer`'s jobs."""
    kind, job_index, *rest = write
    job = owned(world, writer)[job_index]
    node = lambda index: None if index < 0 else world['nodes'][index]  # noqa: E731
    if kind == 'insert':
        status, node_index, rows = rest
        run(raw, INSERT, [job, status, node(node_index), rows])
    elif kind == 'status':  # the first `limit` executions of the job (0: none), as Scale's multi-row updates
        status, limit = rest
        run(
            raw,
            'UPDATE job_exe SET status = %s, last_modified = now() WHERE id IN '
            '(SELECT id FROM job_exe WHERE job_id = %s ORDER BY id LIMIT %s)',
            [status, job, limit],
        )
    elif kind == 'node':
        node_index, limit = rest
        run(
            raw,
            'UPDATE job_exe SET node_id = %s WHERE id IN '
            '(SELECT id FROM job_exe WHERE job_id = %s ORDER BY id DESC LIMIT %s)',
            [node(node_index), job, limit],
        )
    elif kind == 'delete':
        [limit] = rest
        run(
            raw,
            'DELETE FROM job_exe WHERE id IN (SELECT id FROM job_exe WHERE job_id = %s ORDER BY id LIMIT %s)',
            [job, limit],
        )
    elif kind == 'job_type':
        [type_index] = rest
        run(raw, 'UPDATE job SET job_type_id = %s WHERE id = %s', [world['types'][type_index], job])
    elif kind == 'execution_job_type':  # a writer setting an execution's job type itself, maybe not its job's
        type_index, limit = rest
        run(
            raw,
            'UPDATE job_exe SET job_type_id = %s WHERE id IN '
            '(SELECT id FROM job_exe WHERE job_id = %s ORDER BY id LIMIT %s)',
            [world['types'][type_index], job, limit],
        )
    else:
        run(raw, 'UPDATE job_exe SET last_modified = now() WHERE job_id = %s', [job])


def groups_from_tables():
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT e.status, j.job_type_id, e.node_id, count(*) FROM job_exe e JOIN job j ON j.id = e.job_id '
            'GROUP BY 1, 2, 3'
        )
        return {row[:3]: row[3] for row in cursor.fetchall()}


def groups_from_counts():
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT status, job_type_id, node_id, sum(executions) FROM {COUNT_TABLE} GROUP BY 1, 2, 3 '
            'HAVING sum(executions) <> 0'
        )
        return {row[:3]: row[3] for row in cursor.fetchall()}


def executions_of_another_job_type():
    """Ids of the executions whose job_type_id is not their job's type."""
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT e.id FROM job_exe e LEFT JOIN job j ON j.id = e.job_id '
            'WHERE e.job_type_id IS DISTINCT FROM j.job_type_id ORDER BY e.id'
        )
        return [row[0] for row in cursor.fetchall()]


def assert_exact():
    assert groups_from_counts() == groups_from_tables()
    assert executions_of_another_job_type() == []


def filter_cases(world):
    """Every single filter value, none, and combinations of the list's group filters, as query strings."""
    singles = (
        [f'status={status}' for status in STATUSES]
        + [f'job_type_id={i}' for i in world['types']]
        + ['job_type_name=alpha', 'job_type_name=beta', 'job_type_category=raster', 'job_type_category=vector']
        + [f'node_id={i}' for i in world['nodes']]
    )
    return [
        '',
        *singles,
        f'status=QUEUED&status=RUNNING&node_id={world["nodes"][0]}',
        'job_type_name=alpha&job_type_category=raster&status=COMPLETED',
        f'job_type_id={world["types"][3]}&node_id={world["nodes"][1]}&node_id={world["nodes"][2]}',
        'job_type_name=alpha&job_type_name=gamma&status=FAILED&status=CANCELED',
        f'job_type_id={world["types"][0]}&job_type_id={world["types"][2]}&job_type_name=alpha&node_id={world["nodes"][0]}',
        'job_type_name=beta&job_type_category=raster',  # no such job type
    ]


def assert_filters_count_as_the_list(world):
    for query in filter_cases(world):
        filterset = JobExecutionFilterSet(QueryDict(query), queryset=JobExecution.objects.all())
        assert filterset.is_valid(), query
        filters = {name: value for name, value in filterset.form.cleaned_data.items() if name != 'order'}
        assert grouped_count('default', filters) == filterset.qs.count(), query


def assert_lists_answer_as_their_filters(world, api):
    """Each list's count and rows are those of its filter set's own query (job type filters joined by name and
    category), though the page filters on the ids of the job types they select."""
    for query in filter_cases(world):
        answer = api.get(f'/job-executions/?page_size=1000&{query}').json()
        filterset = JobExecutionFilterSet(QueryDict(query), queryset=JobExecution.objects.all())
        assert filterset.is_valid(), query
        assert answer['count'] == filterset.qs.count(), query
        assert [row['id'] for row in answer['results']] == list(filterset.qs.values_list('id', flat=True)), query


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.integers(0, WRITERS - 1), writes, st.booleans()), min_size=1, max_size=10))
def test_committed_and_rolled_back_writes_keep_every_group_exact(world, api, steps):
    with raw_connection() as raw:
        for writer, write, commit in steps:
            run(raw, 'BEGIN')
            apply(raw, world, writer, write)
            run(raw, 'COMMIT' if commit else 'ROLLBACK')
            assert_exact()
    assert_filters_count_as_the_list(world)
    assert_lists_answer_as_their_filters(world, api)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=st.lists(st.tuples(st.integers(0, WRITERS - 1), writes), min_size=1, max_size=12),
    endings=st.lists(st.booleans(), min_size=WRITERS, max_size=WRITERS),
    order=st.permutations(range(WRITERS)),
)
def test_interleaved_open_transactions_keep_every_group_exact(world, plan, endings, order):
    """Several connections hold transactions open at once, each writing in turn (a group's row held by one makes
    another add a row), then each commits or rolls back in a drawn order; the groups are exact after every ending."""
    with contextlib.ExitStack() as stack:
        writers = [stack.enter_context(raw_connection()) for _ in range(WRITERS)]
        for raw in writers:
            run(raw, "SET lock_timeout = '5s'")  # a writer waiting on another's lock would be an error, not a hang
            run(raw, 'BEGIN')
        for writer, write in plan:
            apply(writers[writer], world, writer, write)
            assert_exact()  # nothing uncommitted is counted
        for writer in order:
            run(writers[writer], 'COMMIT' if endings[writer] else 'ROLLBACK')
            assert_exact()


def test_a_writer_never_waits_for_another_holding_the_same_groups(world):
    """The second writer finds the group's row held and adds to another one (a lock wait would be an error here)."""
    job = world['jobs'][0]
    with raw_connection() as raw:
        run(raw, INSERT, [job, 'QUEUED', None, 4])  # the group's row exists, committed
    with raw_connection() as open_writer, raw_connection() as other_writer:
        run(open_writer, 'BEGIN')
        run(open_writer, INSERT, [job, 'QUEUED', None, 1])
        run(open_writer, "UPDATE job_exe SET status = 'RUNNING' WHERE id = (SELECT min(id) FROM job_exe)")
        run(other_writer, "SET lock_timeout = '2s'")
        for _ in range(3):
            run(other_writer, INSERT, [job, 'QUEUED', None, 1])
            run(other_writer, "UPDATE job_exe SET status = 'RUNNING' WHERE id = (SELECT max(id) FROM job_exe)")
        assert_exact()
        run(open_writer, 'COMMIT')
    assert_exact()


def test_threads_writing_the_same_rows_at_once_keep_every_group_exact(world):
    """Real concurrency: threads update, insert and delete the same executions (waiting on each other's row locks
    as Scale's writers would, deadlocks rolled back)."""
    with raw_connection() as raw:
        for job in world['jobs']:
            run(raw, INSERT, [job, 'QUEUED', None, 20])
    errors = []

    def write(seed):
        rng = random.Random(seed)
        try:
            with raw_connection() as raw:
                # These writers wait on each other's row locks by design; on a loaded machine a wait may outlast
                # the service's statement timeout, which would fail the test for load, not for a count.
                run(raw, 'SET statement_timeout = 0')
                for _ in range(150):
                    run(raw, 'BEGIN')
                    try:
                        for _ in range(rng.randint(1, 3)):
                            statement = rng.choice(THREAD_STATEMENTS)
                            run(raw, statement, [param(rng, world) for param in THREAD_PARAMS[statement]])
                        run(raw, 'COMMIT' if rng.random() < 0.8 else 'ROLLBACK')
                    except Exception as error:  # deadlock detected: the transaction is rolled back, as Scale retries
                        if 'deadlock' not in str(error):
                            raise
                        run(raw, 'ROLLBACK')
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors and not any(thread.is_alive() for thread in threads)
    assert_exact()
    assert_filters_count_as_the_list(world)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM {COUNT_TABLE}')
        rows = cursor.fetchone()[0]
    assert rows <= 5 * 4 * 4 * 4  # at most a row per writer and group (5 statuses x 4 types x 4 nodes), not per write


THREAD_PARAMS = {
    'UPDATE job_exe SET status = %s, node_id = %s WHERE id IN (SELECT id FROM job_exe ORDER BY random() LIMIT %s)': (
        lambda rng, world: rng.choice(STATUSES),
        lambda rng, world: rng.choice([None, *world['nodes']]),
        lambda rng, world: rng.randint(1, 5),
    ),
    INSERT: (
        lambda rng, world: rng.choice(world['jobs']),
        lambda rng, world: rng.choice(STATUSES),
        lambda rng, world: rng.choice([None, *world['nodes']]),
        lambda rng, world: rng.randint(1, 3),
    ),
    'DELETE FROM job_exe WHERE id IN (SELECT id FROM job_exe ORDER BY random() LIMIT %s)': (
        lambda rng, world: rng.randint(1, 2),
    ),
}
THREAD_STATEMENTS = list(THREAD_PARAMS)


@pytest.mark.parametrize('isolation', ['REPEATABLE READ', 'SERIALIZABLE'])
def test_writers_at_stricter_isolation_levels_are_counted_too(world, isolation):
    """They add rows instead of updating one that may have changed since their snapshot (which would fail them)."""
    with raw_connection() as first, raw_connection() as second:
        for raw in (first, second):
            run(raw, f'BEGIN ISOLATION LEVEL {isolation}')
            run(raw, 'SELECT 1')  # the snapshot is taken
        run(first, INSERT, [world['jobs'][0], 'QUEUED', None, 2])
        run(first, 'COMMIT')
        run(second, INSERT, [world['jobs'][0], 'QUEUED', None, 3])
        run(second, 'COMMIT')
    assert_exact()
    with raw_connection() as first, raw_connection() as second:  # each moves one of them out of the same group
        for raw in (first, second):
            run(raw, f'BEGIN ISOLATION LEVEL {isolation}')
            run(raw, 'SELECT 1')
        run(first, "UPDATE job_exe SET status = 'RUNNING' WHERE id = (SELECT min(id) FROM job_exe)")
        run(first, 'COMMIT')
        run(second, "UPDATE job_exe SET status = 'FAILED' WHERE id = (SELECT max(id) FROM job_exe)")
        run(second, 'COMMIT')
    assert_exact()


def test_a_job_inserted_after_its_executions_and_deleted_before_them_counts_them_while_it_exists(world):
    """Foreign keys are checked at commit, so one transaction may write an execution before its job and delete a
    job before its executions."""
    job = world['jobs'][0]
    with raw_connection() as raw:
        run(raw, 'BEGIN')
        run(raw, INSERT, [job, 'RUNNING', world['nodes'][0], 3])
        run(raw, 'CREATE TEMP TABLE saved_job ON COMMIT DROP AS SELECT * FROM job WHERE id = %s', [job])
        run(raw, 'DELETE FROM job WHERE id = %s', [job])
        run(raw, INSERT, [job, 'QUEUED', None, 2])  # executions of a job that does not exist yet
        run(raw, 'INSERT INTO job SELECT * FROM saved_job')
        run(raw, 'COMMIT')
    assert_exact()
    assert groups_from_counts()[('QUEUED', job_type_of(job), None)] == 2


def test_executions_written_while_their_job_is_deleted_are_counted_when_it_is_back(world):
    """Deleted first (deferred foreign keys), a job takes its executions out of the counts: changing them, or
    deleting them, then changes no count until the job is back."""
    job, other = world['jobs'][0], world['jobs'][WRITERS]  # both the first writer's
    with raw_connection() as raw:
        run(raw, INSERT, [job, 'RUNNING', world['nodes'][0], 3])
        run(raw, INSERT, [other, 'RUNNING', world['nodes'][0], 2])
        run(raw, 'BEGIN')
        for deleted in (job, other):
            run(
                raw,
                'CREATE TEMP TABLE saved_%s ON COMMIT DROP AS SELECT * FROM job WHERE id = %%s' % deleted,
                [deleted],
            )
            run(raw, 'DELETE FROM job WHERE id = %s', [deleted])
        run(raw, 'UPDATE job_exe SET status = %s WHERE job_id = %s', ['FAILED', job])
        run(raw, 'DELETE FROM job_exe WHERE job_id = %s', [other])
        run(raw, 'INSERT INTO job SELECT * FROM saved_%s' % job)
        run(raw, 'COMMIT')
    assert_exact()
    assert groups_from_counts()[('FAILED', job_type_of(job), world['nodes'][0])] == 3


def job_type_of(job):
    with connection.cursor() as cursor:
        cursor.execute('SELECT job_type_id FROM job WHERE id = %s', [job])
        return cursor.fetchone()[0]


def test_truncate_empties_the_counts(world):
    with raw_connection() as raw:
        run(raw, INSERT, [world['jobs'][0], 'QUEUED', None, 5])
        run(raw, 'TRUNCATE job_exe')
    assert groups_from_counts() == {} and grouped_count('default', {}) == 0


def test_a_restore_without_triggers_is_repaired_by_a_recount(world):
    with raw_connection() as raw:
        run(raw, 'SET session_replication_role = replica')  # as pg_restore --disable-triggers writes
        run(raw, INSERT, [world['jobs'][1], 'COMPLETED', world['nodes'][2], 7])
    assert groups_from_counts() != groups_from_tables()
    assert len(executions_of_another_job_type()) == 7  # no trigger gave them their job's type
    out = io.StringIO()
    call_command('recount_executions', stdout=out)
    assert out.getvalue() == f'{JobExecution.objects.count()} executions counted.\n'
    assert_exact()
    assert recount('default') == 7


def test_an_execution_written_with_another_job_type_gets_its_jobs(world):
    job, other_type = world['jobs'][0], world['types'][1]
    assert job_type_of(job) != other_type
    with raw_connection() as raw:
        run(
            raw,
            INSERT.replace('(job_id,', '(job_type_id, job_id,').replace('SELECT %s', 'SELECT %s, %s'),
            [other_type, job, 'QUEUED', None, 2],
        )
        run(raw, 'UPDATE job_exe SET job_type_id = %s, status = %s', [other_type, 'RUNNING'])
    assert JobExecution.objects.filter(job_id=job).count() == 2
    assert_exact()


def test_renaming_a_job_type_moves_its_count_to_the_new_name(world):
    with raw_connection() as raw:
        run(raw, INSERT, [world['jobs'][2], 'QUEUED', None, 4])  # jobs[2] has the type named beta
        run(raw, "UPDATE job_type SET name = 'delta', category = 'system' WHERE name = 'beta'")
    assert grouped_count('default', {'job_type_name': ['beta']}) == 0
    assert grouped_count('default', {'job_type_name': ['delta'], 'job_type_category': ['system']}) == 4


def test_time_ranges_are_not_answered_from_groups(world):
    assert count_sql('default', {'started': '2026-01-01T00:00:00Z', 'status': ['QUEUED']}) is None
    assert count_sql('default', {'started': None, 'ended': None, 'status': ['QUEUED']}) is not None


def test_every_counting_trigger_is_reported_missing_when_dropped_or_disabled(world):
    assert missing_triggers('default') == []
    with connection.cursor() as cursor:
        cursor.execute('ALTER TABLE job_exe DISABLE TRIGGER api_execution_count_update')
        cursor.execute('DROP TRIGGER api_execution_count_job_type ON job')
        cursor.execute('ALTER TABLE job_exe DISABLE TRIGGER api_execution_job_type_insert')
    try:
        assert missing_triggers('default') == [
            'job_exe.api_execution_count_update',
            'job.api_execution_count_job_type',
            'job_exe.api_execution_job_type_insert',
        ]
    finally:
        with connection.cursor() as cursor:
            cursor.execute('ALTER TABLE job_exe ENABLE TRIGGER api_execution_count_update')
            cursor.execute('ALTER TABLE job_exe ENABLE TRIGGER api_execution_job_type_insert')
            cursor.execute(
                'CREATE TRIGGER api_execution_count_job_type AFTER UPDATE ON job FOR EACH ROW '
                'WHEN (OLD.job_type_id IS DISTINCT FROM NEW.job_type_id) '
                'EXECUTE FUNCTION api_count_job_executions()'
            )


def test_the_migration_counts_the_executions_already_there_and_reverses_cleanly(world):
    """An existing Scale database: executions written before the migration are counted by its backfill."""
    call_command('migrate', 'job', '0004', verbosity=0)
    try:
        assert COUNT_TABLE not in connection.introspection.table_names()
        with raw_connection() as raw:  # Scale keeps writing while the service is rolled back
            run(raw, INSERT, [world['jobs'][0], 'RUNNING', world['nodes'][0], 3])
            run(raw, INSERT, [world['jobs'][1], 'QUEUED', None, 2])
    finally:
        call_command('migrate', 'job', verbosity=0)
    assert groups_from_tables()
    assert_exact()
    assert missing_triggers('default') == []


def test_the_job_type_migration_fills_the_executions_already_there_batch_by_batch(world, monkeypatch):
    call_command('migrate', 'job', '0006', verbosity=0)
    try:
        columns = [
            column.name for column in connection.introspection.get_table_description(connection.cursor(), 'job_exe')
        ]
        assert 'job_type_id' not in columns
        with raw_connection() as raw:
            run(raw, INSERT, [world['jobs'][0], 'RUNNING', world['nodes'][0], 3])
            run(raw, INSERT, [world['jobs'][1], 'QUEUED', None, 2])
    finally:
        monkeypatch.setattr(job_types, 'FILL_BATCH', 2)  # the 5 executions take 3 batches
        call_command('migrate', 'job', verbosity=0)
    assert JobExecution.objects.exclude(job_type=None).count() == 5
    assert_exact()
    assert missing_triggers('default') == []


def test_the_job_type_migration_cut_short_finishes_when_run_again(world, monkeypatch):
    call_command('migrate', 'job', '0006', verbosity=0)
    try:
        with raw_connection() as raw:
            run(raw, INSERT, [world['jobs'][0], 'RUNNING', world['nodes'][0], 3])
        schemas_read = []
        read_schema = job_types.current_schema

        def cut_short_at_the_last_step(schema_editor):  # the first step reads it, and the last
            schemas_read.append(schema_editor)
            if len(schemas_read) == 2:
                raise RuntimeError('cut short')
            return read_schema(schema_editor)

        monkeypatch.setattr(job_types, 'current_schema', cut_short_at_the_last_step)
        with pytest.raises(RuntimeError, match='cut short'):
            call_command('migrate', 'job', '0007', verbosity=0)
        monkeypatch.undo()
        with raw_connection() as raw:  # as a CREATE INDEX CONCURRENTLY cut short leaves it
            run(raw, "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'job_exe_type_modified_id'::regclass")
    finally:
        call_command('migrate', 'job', verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'job_exe_type_modified_id'::regclass")
        assert cursor.fetchone() == (True,)
    assert JobExecution.objects.exclude(job_type=None).count() == 3
    assert_exact()
    assert missing_triggers('default') == []


def test_the_lighter_writes_migration_cut_short_finishes_when_run_again(world, monkeypatch):
    call_command('migrate', 'job', '0007', verbosity=0)
    try:

        def cut_short_at_the_last_step(schema_editor):  # only the last step reads it
            raise RuntimeError('cut short')

        monkeypatch.setattr(job_types, 'current_schema', cut_short_at_the_last_step)
        with pytest.raises(RuntimeError, match='cut short'):
            call_command('migrate', 'job', '0008', verbosity=0)
        monkeypatch.undo()
    finally:
        call_command('migrate', 'job', verbosity=0)
    assert_keys_and_indexes_as_declared()
    with raw_connection() as raw:
        run(raw, INSERT, [world['jobs'][0], 'QUEUED', None, 3])
        run(raw, "UPDATE job_exe SET status = 'RUNNING', node_id = %s", [world['nodes'][0]])
    assert_exact()
    assert missing_triggers('default') == []


def assert_keys_and_indexes_as_declared():
    """job_exe has the foreign keys and indexes the model declares, and not the index job/0008 dropped."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, JobExecution._meta.db_table)
    keys = {constraint['columns'][0] for constraint in constraints.values() if constraint['foreign_key']}
    fields = JobExecution._meta.concrete_fields
    assert keys == {field.column for field in fields if field.remote_field and field.db_constraint}
    indexes = {name for name, constraint in constraints.items() if constraint['index']}
    assert {index.name for index in JobExecution._meta.indexes} <= indexes
    assert 'job_exe_status_job' not in indexes


LIST_QUERIES = [
    'status=QUEUED',
    'job_type_name=alpha&node_id={node}',
    'job_type_category=raster&status=RUNNING',
    '',
    'page_size=1000&job_type_id={type}',
]


@pytest.mark.parametrize('query', LIST_QUERIES)
def test_the_list_counts_from_the_groups_in_two_statements(world, api, django_assert_num_queries, query):
    with raw_connection() as raw:
        run(raw, INSERT, [world['jobs'][0], 'QUEUED', None, 3])
        run(raw, INSERT, [world['jobs'][1], 'RUNNING', world['nodes'][0], 2])
        run(raw, INSERT, [world['jobs'][3], 'RUNNING', world['nodes'][0], 2])
    query = query.format(node=world['nodes'][0], type=world['types'][3])
    with django_assert_num_queries(2) as captured:
        answer = api.get(f'/job-executions/?{query}').json()
    assert COUNT_TABLE in captured.captured_queries[0]['sql']
    filterset = JobExecutionFilterSet(QueryDict(query), queryset=JobExecution.objects.all())
    assert answer['count'] == filterset.qs.count() > 0


def test_a_time_range_counts_the_rows_it_holds(world, api, django_assert_num_queries):
    with raw_connection() as raw:
        run(raw, INSERT, [world['jobs'][0], 'QUEUED', None, 3])
    with django_assert_num_queries(2) as captured:
        answer = api.get('/job-executions/?status=QUEUED&started=P1D').json()
    assert COUNT_TABLE not in captured.captured_queries[0]['sql']
    assert answer['count'] == 3


def test_a_writer_needs_no_rights_on_the_counts(world):
    """Scale writes with its own database user; the trigger functions run as their owner."""
    role = 'scale_counted_writer_for_test'
    with raw_connection() as raw:
        run(raw, INSERT, [world['jobs'][0], 'QUEUED', None, 2])
        run(raw, f'DROP ROLE IF EXISTS {role}')
        run(raw, f"CREATE ROLE {role} LOGIN PASSWORD 'writer'")
        run(raw, f'GRANT SELECT, UPDATE, DELETE ON job_exe TO {role}')
    try:
        writer = connection.get_new_connection(
            {**connection.get_connection_params(), 'user': role, 'password': 'writer'}
        )
        writer.autocommit = True
        with contextlib.closing(writer):
            with pytest.raises(Exception, match='permission denied'):
                run(writer, f'SELECT * FROM {COUNT_TABLE}')
            run(writer, "UPDATE job_exe SET status = 'RUNNING', node_id = %s", [world['nodes'][1]])
            run(writer, 'DELETE FROM job_exe WHERE id = (SELECT min(id) FROM job_exe)')
        assert_exact()
        assert grouped_count('default', {'status': ['RUNNING'], 'node_id': [world['nodes'][1]]}) == 1
    finally:
        with raw_connection() as raw:
            run(raw, f'DROP OWNED BY {role}')
            run(raw, f'DROP ROLE {role}')
