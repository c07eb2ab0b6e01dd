"""Less for Scale's writers to pay for the counts and the job type column (docs/performance.md, "Measured: what
Scale's writers pay"):

- `job_exe.job_type_id` loses its foreign key on PostgreSQL. The triggers of job/0007 only ever copy it from the
  execution's job, whose own key already holds that type; checking it again locked the job type's row for every
  inserted execution.
- `job_exe_status_job` goes. It served counts of a status by job type, which the groups of job/0005 answer on
  PostgreSQL; on SQLite such a count walks the status index and looks each job up.
- An execution moved to another group changes the two groups' counts in the trigger itself instead of through two
  calls of `api_add_executions`.

Not atomic: the index is dropped without holding Scale's writes (CONCURRENTLY), which no transaction allows.
"""

import importlib

from django.db import migrations, models

job_types = importlib.import_module('job.migrations.0007_execution_job_type')

# What api_add_executions (job/0005) does, for the old group (-1) and the new one (+1) in turn.
MOVE_FUNCTION = """
CREATE OR REPLACE FUNCTION api_move_execution() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {schema} AS $$
DECLARE
    new_type bigint := OLD.job_type_id;
    statuses varchar[] := ARRAY[OLD.status, NEW.status];
    job_types bigint[];
    nodes bigint[] := ARRAY[OLD.node_id, NEW.node_id];
    deltas bigint[] := ARRAY[-1, 1];
    shared boolean := current_setting('transaction_isolation') = 'read committed';
BEGIN
    IF NEW.job_id IS DISTINCT FROM OLD.job_id THEN  -- its job type is set right after this trigger
        SELECT job_type_id INTO new_type FROM job WHERE id = NEW.job_id;
    END IF;
    job_types := ARRAY[OLD.job_type_id, new_type];
    FOR side IN 1..2 LOOP
        CONTINUE WHEN job_types[side] IS NULL;  -- its job is not there: not counted
        IF shared THEN
            UPDATE api_execution_count SET executions = executions + deltas[side]
            WHERE id = (SELECT id FROM api_execution_count
                        WHERE status = statuses[side] AND job_type_id = job_types[side]
                          AND coalesce(node_id, 0) = coalesce(nodes[side], 0)
                          AND node_id IS NOT DISTINCT FROM nodes[side]
                        LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED);
        END IF;
        IF NOT shared OR NOT FOUND THEN
            INSERT INTO api_execution_count (status, job_type_id, node_id, executions)
            VALUES (statuses[side], job_types[side], nodes[side], deltas[side]);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
"""


class AlterKeyOnPostgreSQL(migrations.AlterField):
    """Only PostgreSQL's key is dropped: SQLite alters a column by rebuilding the table, which would drop the triggers
    of job/0004, and its column stays empty there."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == 'postgresql':
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == 'postgresql':
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def move_in_place(apps, schema_editor):
    if schema_editor.connection.vendor == 'postgresql':
        schema_editor.execute(MOVE_FUNCTION.format(schema=job_types.current_schema(schema_editor)))


def move_through_calls(apps, schema_editor):
    job_types.count_by_column(apps, schema_editor)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('job', '0007_execution_job_type'),
    ]

    operations = [
        AlterKeyOnPostgreSQL(
            model_name='jobexecution',
            name='job_type',
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name='+',
                to='job.jobtype',
            ),
        ),
        job_types.RemoveIndex(model_name='jobexecution', name='job_exe_status_job'),
        migrations.RunPython(move_in_place, move_through_calls),
    ]
