"""Executions counted per (status, job type, node) by triggers, so a list's count filtered by any of those (or by the
job type's name or category, joined at read time) is a sum over a few rows instead of a scan (job.counts,
docs/performance.md "Counts").

PostgreSQL only: on SQLite (development) lists count by scanning and this migration does nothing.

Write statements on `job_exe` append one row per group their rows leave or enter (statement-level triggers reading
the transition tables); a row of ours is never updated, so writers never wait on each other here. Now and then a
writer folds the committed rows of the groups it just touched that it can lock without waiting (SKIP LOCKED), as the
change counter of migration 0004 does. A job's type is read through `job` when the delta is written; the triggers
on `job` keep the groups right when a job appears, disappears or changes type.
"""
from django.db import migrations

COUNT_TABLE = 'api_execution_count'

# (table, trigger name): what /readyz checks (job.counts.missing_triggers).
TRIGGERS = (
    ('job_exe', 'api_execution_count_insert'),
    ('job_exe', 'api_execution_count_update'),
    ('job_exe', 'api_execution_count_delete'),
    ('job_exe', 'api_execution_count_truncate'),
    ('job', 'api_execution_count_job_insert'),
    ('job', 'api_execution_count_job_delete'),
    ('job', 'api_execution_count_job_type'),
)

TABLE = f"""
CREATE TABLE {COUNT_TABLE} (
    id bigserial PRIMARY KEY,
    status varchar(50) NOT NULL,
    job_type_id integer NOT NULL,
    node_id integer,
    executions bigint NOT NULL
);
-- Folding finds a group's rows by this (0 stands for "no node" here only; a group is still told apart by node_id).
CREATE INDEX {COUNT_TABLE}_group ON {COUNT_TABLE} (status, job_type_id, coalesce(node_id, 0));
"""

# Folds the committed rows of the groups written by ids lo..hi (and the 100 ids before) into one row per group.
# Called every 100th id, under READ COMMITTED only: at stricter levels a row folded by another writer since the
# snapshot would fail this writer's transaction. Rows locked by another folder are skipped, never waited for.
FOLD_FUNCTION = f"""
CREATE FUNCTION api_fold_execution_counts(lo bigint, hi bigint) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, {{schema}} AS $$
BEGIN
    IF hi / 100 = (lo - 1) / 100 OR current_setting('transaction_isolation') <> 'read committed' THEN
        RETURN;
    END IF;
    WITH touched AS (
        SELECT DISTINCT status, job_type_id, coalesce(node_id, 0) AS node_key
        FROM {COUNT_TABLE} WHERE id > lo - 100 AND id <= hi),
    folded AS (
        DELETE FROM {COUNT_TABLE} WHERE id IN (
            SELECT c.id FROM {COUNT_TABLE} c JOIN touched t
                ON c.status = t.status AND c.job_type_id = t.job_type_id AND coalesce(c.node_id, 0) = t.node_key
            WHERE c.id <= hi
            FOR UPDATE OF c SKIP LOCKED)
        RETURNING status, job_type_id, node_id, executions)
    INSERT INTO {COUNT_TABLE} (status, job_type_id, node_id, executions)
    SELECT status, job_type_id, node_id, sum(executions) FROM folded
    GROUP BY status, job_type_id, node_id HAVING sum(executions) <> 0;
END
$$;
REVOKE ALL ON FUNCTION api_fold_execution_counts(bigint, bigint) FROM PUBLIC;
"""

# The deltas of one statement on job_exe: -1 for each row's old group, +1 for its new one, netted per group, the
# job type read from its job. Runs as its owner (SECURITY DEFINER): Scale's user needs no rights on our table.
EXECUTIONS_FUNCTION = f"""
CREATE FUNCTION api_count_executions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {{schema}} AS $$
DECLARE
    lo bigint;
    hi bigint;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM {COUNT_TABLE};
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        WITH added AS (
            INSERT INTO {COUNT_TABLE} (status, job_type_id, node_id, executions)
            SELECT e.status, j.job_type_id, e.node_id, count(*)
            FROM new_executions e JOIN job j ON j.id = e.job_id
            GROUP BY e.status, j.job_type_id, e.node_id
            RETURNING id)
        SELECT min(id), max(id) INTO lo, hi FROM added;
    ELSIF TG_OP = 'DELETE' THEN
        WITH added AS (
            INSERT INTO {COUNT_TABLE} (status, job_type_id, node_id, executions)
            SELECT e.status, j.job_type_id, e.node_id, -count(*)
            FROM old_executions e JOIN job j ON j.id = e.job_id
            GROUP BY e.status, j.job_type_id, e.node_id
            RETURNING id)
        SELECT min(id), max(id) INTO lo, hi FROM added;
    ELSE
        WITH added AS (
            INSERT INTO {COUNT_TABLE} (status, job_type_id, node_id, executions)
            SELECT e.status, j.job_type_id, e.node_id, sum(e.delta)
            FROM (SELECT job_id, status, node_id, -1 AS delta FROM old_executions
                  UNION ALL
                  SELECT job_id, status, node_id, 1 FROM new_executions) e
            JOIN job j ON j.id = e.job_id
            GROUP BY e.status, j.job_type_id, e.node_id
            HAVING sum(e.delta) <> 0
            RETURNING id)
        SELECT min(id), max(id) INTO lo, hi FROM added;
    END IF;
    IF hi IS NOT NULL THEN
        PERFORM api_fold_execution_counts(lo, hi);
    END IF;
    RETURN NULL;
END
$$;
"""

# Executions are counted while their job exists: a job inserted after its executions (deferred foreign keys allow
# it in one transaction) adds them, a deleted job takes its remaining executions away, and a job whose type
# changes moves its executions to the new type. Scale inserts jobs before their executions and never changes a
# job's type, so the insert trigger normally finds nothing (one index probe per job) and the last never fires.
JOBS_FUNCTION = f"""
CREATE FUNCTION api_count_job_executions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {{schema}} AS $$
DECLARE
    lo bigint;
    hi bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH added AS (
            INSERT INTO {COUNT_TABLE} (status, job_type_id, node_id, executions)
            SELECT e.status, j.job_type_id, e.node_id, count(*)
            FROM new_jobs j JOIN job_exe e ON e.job_id = j.id
            GROUP BY e.status, j.job_type_id, e.node_id
            RETURNING id)
        SELECT min(id), max(id) INTO lo, hi FROM added;
    ELSIF TG_OP = 'DELETE' THEN
        WITH added AS (
            INSERT INTO {COUNT_TABLE} (status, job_type_id, node_id, executions)
            SELECT e.status, j.job_type_id, e.node_id, -count(*)
            FROM old_jobs j JOIN job_exe e ON e.job_id = j.id
            GROUP BY e.status, j.job_type_id, e.node_id
            RETURNING id)
        SELECT min(id), max(id) INTO lo, hi FROM added;
    ELSE
        WITH added AS (
            INSERT INTO {COUNT_TABLE} (status, job_type_id, node_id, executions)
            SELECT e.status, t.job_type_id, e.node_id, sum(t.delta)
            FROM job_exe e, (VALUES (OLD.job_type_id, -1), (NEW.job_type_id, 1)) AS t (job_type_id, delta)
            WHERE e.job_id = NEW.id
            GROUP BY e.status, t.job_type_id, e.node_id
            RETURNING id)
        SELECT min(id), max(id) INTO lo, hi FROM added;
    END IF;
    IF hi IS NOT NULL THEN
        PERFORM api_fold_execution_counts(lo, hi);
    END IF;
    RETURN NULL;
END
$$;
"""

CREATE_TRIGGERS = """
CREATE TRIGGER api_execution_count_insert AFTER INSERT ON job_exe
    REFERENCING NEW TABLE AS new_executions FOR EACH STATEMENT EXECUTE FUNCTION api_count_executions();
CREATE TRIGGER api_execution_count_update AFTER UPDATE ON job_exe
    REFERENCING OLD TABLE AS old_executions NEW TABLE AS new_executions
    FOR EACH STATEMENT EXECUTE FUNCTION api_count_executions();
CREATE TRIGGER api_execution_count_delete AFTER DELETE ON job_exe
    REFERENCING OLD TABLE AS old_executions FOR EACH STATEMENT EXECUTE FUNCTION api_count_executions();
CREATE TRIGGER api_execution_count_truncate AFTER TRUNCATE ON job_exe
    FOR EACH STATEMENT EXECUTE FUNCTION api_count_executions();
CREATE TRIGGER api_execution_count_job_insert AFTER INSERT ON job
    REFERENCING NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION api_count_job_executions();
CREATE TRIGGER api_execution_count_job_delete AFTER DELETE ON job
    REFERENCING OLD TABLE AS old_jobs FOR EACH STATEMENT EXECUTE FUNCTION api_count_job_executions();
CREATE TRIGGER api_execution_count_job_type AFTER UPDATE ON job
    FOR EACH ROW WHEN (OLD.job_type_id IS DISTINCT FROM NEW.job_type_id)
    EXECUTE FUNCTION api_count_job_executions();
"""

# Counts every execution again from the tables: the migration's backfill, and what operators run after a restore
# made without triggers (manage.py recount_executions). Scale's writes to job_exe and job wait until it commits, so
# no write is both counted here and by a trigger, or by neither.
RECOUNT_FUNCTION = f"""
CREATE FUNCTION api_recount_executions() RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, {{schema}} AS $$
DECLARE
    total bigint;
BEGIN
    LOCK TABLE job_exe, job IN SHARE MODE;
    DELETE FROM {COUNT_TABLE};
    INSERT INTO {COUNT_TABLE} (status, job_type_id, node_id, executions)
    SELECT e.status, j.job_type_id, e.node_id, count(*)
    FROM job_exe e JOIN job j ON j.id = e.job_id
    GROUP BY e.status, j.job_type_id, e.node_id;
    SELECT coalesce(sum(executions), 0) INTO total FROM {COUNT_TABLE};
    RETURN total;
END
$$;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor != 'postgresql':
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute('SELECT current_schema()')
        schema = schema_editor.quote_name(cursor.fetchone()[0])
    # Locked first, so that the backfill and the triggers take over at the same instant (writers wait for the
    # migration's transaction: seconds at ten million executions).
    schema_editor.execute('LOCK TABLE job_exe, job IN SHARE ROW EXCLUSIVE MODE')
    schema_editor.execute(TABLE)
    for function in (FOLD_FUNCTION, EXECUTIONS_FUNCTION, JOBS_FUNCTION, RECOUNT_FUNCTION):
        schema_editor.execute(function.format(schema=schema))
    schema_editor.execute(CREATE_TRIGGERS)
    schema_editor.execute('SELECT api_recount_executions()')


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != 'postgresql':
        return
    for table, trigger in TRIGGERS:
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {trigger} ON "{table}"')
    for function in ('api_count_executions()', 'api_count_job_executions()', 'api_recount_executions()',
                     'api_fold_execution_counts(bigint, bigint)'):
        schema_editor.execute(f'DROP FUNCTION IF EXISTS {function}')
    schema_editor.execute(f'DROP TABLE IF EXISTS {COUNT_TABLE}')


class Migration(migrations.Migration):

    dependencies = [
        ('job', '0004_listed_change'),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]
