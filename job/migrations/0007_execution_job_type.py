"""Each execution's job type kept beside it, in `job_exe.job_type_id` as Scale 5 keeps it, so that a list filtered
by job type finds its page along an index in its own order (docs/performance.md, "Each execution's job type").

On PostgreSQL, triggers keep the column equal to the job's type whoever writes: set from the job when an execution
is inserted, set right again when an update moves it to another job or writes another type, and set from `job`
when a job is inserted after its executions or changes type. Then the executions already there are filled in batches, each its own transaction, so
Scale's writers never wait long; the indexes are built last, without holding writes (CONCURRENTLY). This migration
is therefore not atomic: it commits as it goes, and when it is cut short, running it again finishes it.

On SQLite (development) the column stays empty: lists there filter through the job, as before.
"""

import importlib

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models, transaction

counting = importlib.import_module('job.migrations.0005_execution_group_counts')

# (table, trigger name): what /readyz checks with the counting triggers (job.counts.missing_triggers).
TRIGGERS = (
    ('job_exe', 'api_execution_job_type_insert'),
    ('job_exe', 'api_execution_job_type_update'),
    ('job', 'api_execution_job_type_job_insert'),
    ('job', 'api_execution_job_type_job_delete'),
    ('job', 'api_execution_job_type_job_type'),
)

# Runs as the writer, for every execution inserted: it only reads `job`, named with its schema rather than through a
# pinned search_path, whose save and restore on each call cost more than a third of it (measured on 100,000 inserted
# rows: 3.7 µs a row, 6 with search_path pinned).
EXECUTION_FUNCTION = """
CREATE FUNCTION api_set_execution_job_type() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- NULL while the job is not there yet (foreign keys are checked at commit): its insert trigger fills it.
    SELECT job_type_id INTO NEW.job_type_id FROM {schema}.job WHERE id = NEW.job_id;
    RETURN NEW;
END
$$;
"""

# An update that moved an execution to another job, or wrote its job type: set right again, after the fact. Not a
# BEFORE trigger, which would make every update of job_exe (Scale's status changes) lock its row first to check
# the condition: measured at 83% of the writers' throughput, against 92% with the counting triggers alone.
CORRECTION_FUNCTION = """
CREATE FUNCTION api_correct_execution_job_type() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, {schema} AS $$
BEGIN
    UPDATE job_exe e SET job_type_id = j.job_type_id FROM job j
    WHERE e.id = NEW.id AND j.id = e.job_id AND e.job_type_id IS DISTINCT FROM j.job_type_id;
    RETURN NULL;
END
$$;
"""

# A job inserted after its executions gives them its type, a deleted job takes it from those left (NULL: no job),
# and a job whose type changes moves its executions along. Scale inserts jobs before their executions, deletes them
# after, and never changes a job's type: one index probe per job inserted or deleted.
JOB_FUNCTION = """
CREATE FUNCTION api_set_job_executions_type() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, {schema} AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE job_exe e SET job_type_id = j.job_type_id FROM new_jobs j
        WHERE e.job_id = j.id AND e.job_type_id IS DISTINCT FROM j.job_type_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE job_exe e SET job_type_id = NULL FROM old_jobs j WHERE e.job_id = j.id AND e.job_type_id IS NOT NULL;
    ELSE
        UPDATE job_exe SET job_type_id = NEW.job_type_id WHERE job_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;
"""

# The executions in an id range whose column differs from their job's type, set right; returns how many. The
# backfill below, and manage.py recount_executions after a restore made without triggers (job.counts.recount).
FILL_FUNCTION = """
CREATE FUNCTION api_fill_execution_job_types(first_id bigint, last_id bigint) RETURNS bigint
LANGUAGE sql SET search_path = pg_catalog, {schema} AS $$
    WITH filled AS (
        UPDATE job_exe e SET job_type_id = j.job_type_id FROM job j
        WHERE e.id BETWEEN first_id AND last_id AND j.id = e.job_id AND e.job_type_id IS DISTINCT FROM j.job_type_id
        RETURNING 1)
    SELECT count(*) FROM filled
$$;
"""

# The counting triggers of job/0005, reading each execution's job type from the execution (NULL: its job is not
# there, and it is not counted) instead of looking its job up: one query less per status change. Installed once
# every execution has its job type; the job's own counting triggers are unchanged.
COUNTING_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION api_count_executions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {{schema}} AS $$
DECLARE
    g record;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM {counting.COUNT_TABLE};
    ELSIF TG_OP = 'INSERT' THEN
        FOR g IN SELECT status, job_type_id, node_id, count(*) AS n FROM new_executions
                 WHERE job_type_id IS NOT NULL GROUP BY status, job_type_id, node_id LOOP
            PERFORM api_add_executions(g.status, g.job_type_id, g.node_id, g.n);
        END LOOP;
    ELSIF TG_OP = 'DELETE' THEN
        FOR g IN SELECT status, job_type_id, node_id, count(*) AS n FROM old_executions
                 WHERE job_type_id IS NOT NULL GROUP BY status, job_type_id, node_id LOOP
            PERFORM api_add_executions(g.status, g.job_type_id, g.node_id, -g.n);
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION api_move_execution() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {{schema}} AS $$
DECLARE
    new_type bigint := OLD.job_type_id;
BEGIN
    IF NEW.job_id IS DISTINCT FROM OLD.job_id THEN  -- its job type is set right after this trigger
        SELECT job_type_id INTO new_type FROM job WHERE id = NEW.job_id;
    END IF;
    IF OLD.job_type_id IS NOT NULL THEN
        PERFORM api_add_executions(OLD.status, OLD.job_type_id, OLD.node_id, -1);
    END IF;
    IF new_type IS NOT NULL THEN
        PERFORM api_add_executions(NEW.status, new_type, NEW.node_id, 1);
    END IF;
    RETURN NULL;
END
$$;
"""

CREATE_TRIGGERS = """
CREATE TRIGGER api_execution_job_type_insert BEFORE INSERT ON job_exe
    FOR EACH ROW EXECUTE FUNCTION api_set_execution_job_type();
CREATE TRIGGER api_execution_job_type_update AFTER UPDATE ON job_exe FOR EACH ROW
    WHEN (OLD.job_id IS DISTINCT FROM NEW.job_id OR OLD.job_type_id IS DISTINCT FROM NEW.job_type_id)
    EXECUTE FUNCTION api_correct_execution_job_type();
CREATE TRIGGER api_execution_job_type_job_insert AFTER INSERT ON job
    REFERENCING NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION api_set_job_executions_type();
CREATE TRIGGER api_execution_job_type_job_delete AFTER DELETE ON job
    REFERENCING OLD TABLE AS old_jobs FOR EACH STATEMENT EXECUTE FUNCTION api_set_job_executions_type();
CREATE TRIGGER api_execution_job_type_job_type AFTER UPDATE ON job
    FOR EACH ROW WHEN (OLD.job_type_id IS DISTINCT FROM NEW.job_type_id)
    EXECUTE FUNCTION api_set_job_executions_type();
"""

FUNCTIONS = (
    'api_set_execution_job_type()',
    'api_correct_execution_job_type()',
    'api_set_job_executions_type()',
    'api_fill_execution_job_types(bigint, bigint)',
)

FILL_BATCH = 50_000  # executions per transaction: each holds its rows' locks for a second or so


def install(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != 'postgresql':
        return
    # CREATE TRIGGER waits for every open transaction that wrote job_exe or job: none is left with executions
    # inserted before the trigger, uncommitted and so invisible to the fill below.
    with transaction.atomic(using=connection.alias):
        remove(apps, schema_editor)  # what a run cut short left
        schema = current_schema(schema_editor)
        for function in (EXECUTION_FUNCTION, CORRECTION_FUNCTION, JOB_FUNCTION, FILL_FUNCTION):
            schema_editor.execute(function.format(schema=schema))
        schema_editor.execute(CREATE_TRIGGERS)


def fill(apps, schema_editor):
    """The executions written before the triggers, batch by batch (the triggers keep every later write right)."""
    connection = schema_editor.connection
    if connection.vendor != 'postgresql':
        return
    with connection.cursor() as cursor:
        cursor.execute('SELECT min(id), max(id) FROM job_exe')
        first, last = cursor.fetchone()
        for start in range(first or 0, (last or -1) + 1, FILL_BATCH):
            cursor.execute('SELECT api_fill_execution_job_types(%s, %s)', [start, start + FILL_BATCH - 1])


def count_by_column(apps, schema_editor):
    if schema_editor.connection.vendor == 'postgresql':
        schema_editor.execute(COUNTING_FUNCTIONS.format(schema=current_schema(schema_editor)))


def count_by_job(apps, schema_editor):
    if schema_editor.connection.vendor == 'postgresql':
        schema = current_schema(schema_editor)
        for function in (counting.EXECUTIONS_FUNCTION, counting.MOVE_FUNCTION):
            schema_editor.execute(
                function.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION').format(schema=schema)
            )


def current_schema(schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute('SELECT current_schema()')
        return schema_editor.quote_name(cursor.fetchone()[0])


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != 'postgresql':
        return
    for table, trigger in TRIGGERS:
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {trigger} ON "{table}"')
    for function in FUNCTIONS:
        schema_editor.execute(f'DROP FUNCTION IF EXISTS {function}')


def concurrently_on_postgresql(concurrent, plain):
    """`concurrent` (an index operation of contrib.postgres) on PostgreSQL, so Scale keeps writing while the index
    is built; `plain` elsewhere."""

    class Operation(concurrent):
        def database_forwards(self, app_label, schema_editor, from_state, to_state):
            chosen = concurrent if schema_editor.connection.vendor == 'postgresql' else plain
            chosen.database_forwards(self, app_label, schema_editor, from_state, to_state)

        def database_backwards(self, app_label, schema_editor, from_state, to_state):
            chosen = concurrent if schema_editor.connection.vendor == 'postgresql' else plain
            chosen.database_backwards(self, app_label, schema_editor, from_state, to_state)

    return Operation


RemoveIndex = concurrently_on_postgresql(RemoveIndexConcurrently, migrations.RemoveIndex)


class AddIndex(concurrently_on_postgresql(AddIndexConcurrently, migrations.AddIndex)):
    """An index of the same name that a run cut short left (an invalid one if its build was cut short) is dropped
    first, so that running the migration again builds it whole."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == 'postgresql':
            model = to_state.apps.get_model(app_label, self.model_name)
            schema_editor.remove_index(model, self.index, concurrently=True)
        super().database_forwards(app_label, schema_editor, from_state, to_state)


class AddColumn(migrations.AddField):
    """Adds the field's column unless a run cut short added it already."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            columns = connection.introspection.get_table_description(cursor, model._meta.db_table)
        if model._meta.get_field(self.name).column not in {column.name for column in columns}:
            super().database_forwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('error', '0002_listed_change_trigger'),
        ('job', '0006_status_node_index'),
        ('node', '0002_listed_change_trigger'),
    ]

    operations = [
        AddColumn(
            model_name='jobexecution',
            name='job_type',
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name='+',
                to='job.jobtype',
            ),
        ),
        migrations.RunPython(install, remove),
        migrations.RunPython(fill, migrations.RunPython.noop),
        RemoveIndex(model_name='jobexecution', name='job_exe_status_node_modified'),
        AddIndex(
            model_name='jobexecution',
            index=models.Index(
                fields=['status', 'node', 'last_modified', 'id', 'job_type'], name='job_exe_status_node_modified'
            ),
        ),
        AddIndex(
            model_name='jobexecution',
            index=models.Index(fields=['job_type', 'last_modified', 'id'], name='job_exe_type_modified_id'),
        ),
        # Last: until here the counts still look jobs up, so an interrupted migration leaves them right.
        migrations.RunPython(count_by_column, count_by_job),
    ]
