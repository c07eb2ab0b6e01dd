"""Executions counted per (status, job type, node) by triggers, so a list's count filtered by any of those (or by the
job type's name or category, joined at read time) is a sum over a few rows instead of a scan (job.counts,
docs/performance.md "Counts at 10,000,000 executions").

PostgreSQL only: on SQLite (development) lists count by scanning and this migration does nothing.

Each write statement on `job_exe` adds, per group its rows leave or enter, the change to a row of that group that
no other open transaction holds (SKIP LOCKED, so writers never wait on each other here), or to a new row of the
group: inserts and deletes per statement from the transition tables, updates per row and only when they move an
execution to another group. A job's type is read through `job` when the change is
written; the triggers on `job` keep the groups right when a job appears, disappears or changes type.
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
    job_type_id bigint NOT NULL,
    node_id bigint,
    executions bigint NOT NULL
) WITH (fillfactor = 50);
-- A group's rows are found by this (0 stands for "no node" here only; node_id itself tells the groups apart).
CREATE INDEX {COUNT_TABLE}_group ON {COUNT_TABLE} (status, job_type_id, coalesce(node_id, 0));
"""

# Adds n executions to a group: to one of its rows that no other open transaction holds (SKIP LOCKED: a writer never
# waits for another here), or to a new row of the group when all are held. So a group has about as many rows as
# writers that changed it at the same moment, and the updates stay on their page (HOT: `executions` is in no index,
# and the table is half empty by fillfactor). Under REPEATABLE READ or SERIALIZABLE a row changed since the snapshot
# could not be updated without failing the writer's transaction, so those writers always add a row. Only our trigger
# functions call it (their search_path is pinned); nobody else may.
ADD_FUNCTION = f"""
CREATE FUNCTION api_add_executions(group_status varchar, group_job_type bigint, group_node bigint, n bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') = 'read committed' THEN
        UPDATE {COUNT_TABLE} SET executions = executions + n
        WHERE id = (SELECT id FROM {COUNT_TABLE}
                    WHERE status = group_status AND job_type_id = group_job_type
                      AND coalesce(node_id, 0) = coalesce(group_node, 0) AND node_id IS NOT DISTINCT FROM group_node
                    LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED);
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;
    INSERT INTO {COUNT_TABLE} (status, job_type_id, node_id, executions)
    VALUES (group_status, group_job_type, group_node, n);
END
$$;
REVOKE ALL ON FUNCTION api_add_executions(varchar, bigint, bigint, bigint) FROM PUBLIC;
"""

# The executions one statement inserts or deletes, per group, the job type read from their job. Statement-level:
# a bulk insert of queued executions is one group, one change. Runs as its owner (SECURITY DEFINER): Scale's user
# needs no rights on our table.
EXECUTIONS_FUNCTION = f"""
CREATE FUNCTION api_count_executions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {{schema}} AS $$
DECLARE
    g record;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM {COUNT_TABLE};
    ELSIF TG_OP = 'INSERT' THEN
        FOR g IN SELECT e.status, j.job_type_id, e.node_id, count(*) AS n
                 FROM new_executions e JOIN job j ON j.id = e.job_id
                 GROUP BY e.status, j.job_type_id, e.node_id LOOP
            PERFORM api_add_executions(g.status, g.job_type_id, g.node_id, g.n);
        END LOOP;
    ELSIF TG_OP = 'DELETE' THEN
        FOR g IN SELECT e.status, j.job_type_id, e.node_id, count(*) AS n
                 FROM old_executions e JOIN job j ON j.id = e.job_id
                 GROUP BY e.status, j.job_type_id, e.node_id LOOP
            PERFORM api_add_executions(g.status, g.job_type_id, g.node_id, -g.n);
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;
"""

# An update that moves an execution to another group: -1 for the old one, +1 for the new. Row-level, fired only when
# the status, node or job changed (the trigger's WHEN), so Scale's many other updates of job_exe cost nothing here.
MOVE_FUNCTION = """
CREATE FUNCTION api_move_execution() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {schema} AS $$
DECLARE
    old_type bigint;
    new_type bigint;
BEGIN
    -- NULL when the job is not there (yet): such executions are not counted, see the job triggers below.
    SELECT job_type_id INTO old_type FROM job WHERE id = OLD.job_id;
    IF NEW.job_id IS NOT DISTINCT FROM OLD.job_id THEN
        new_type := old_type;
    ELSE
        SELECT job_type_id INTO new_type FROM job WHERE id = NEW.job_id;
    END IF;
    IF old_type IS NOT NULL THEN
        PERFORM api_add_executions(OLD.status, old_type, OLD.node_id, -1);
    END IF;
    IF new_type IS NOT NULL THEN
        PERFORM api_add_executions(NEW.status, new_type, NEW.node_id, 1);
    END IF;
    RETURN NULL;
END
$$;
"""

# Executions are counted while their job exists: a job inserted after its executions (deferred foreign keys allow
# it in one transaction) adds them, a deleted job takes its remaining executions away, and a job whose type
# changes moves its executions to the new type. Scale inserts jobs before their executions and never changes a
# job's type, so the insert trigger normally finds nothing (one index probe per job) and the last never fires.
JOBS_FUNCTION = """
CREATE FUNCTION api_count_job_executions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {schema} AS $$
DECLARE
    g record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        FOR g IN SELECT e.status, j.job_type_id, e.node_id, count(*) AS n
                 FROM new_jobs j JOIN job_exe e ON e.job_id = j.id
                 GROUP BY e.status, j.job_type_id, e.node_id LOOP
            PERFORM api_add_executions(g.status, g.job_type_id, g.node_id, g.n);
        END LOOP;
    ELSIF TG_OP = 'DELETE' THEN
        FOR g IN SELECT e.status, j.job_type_id, e.node_id, count(*) AS n
                 FROM old_jobs j JOIN job_exe e ON e.job_id = j.id
                 GROUP BY e.status, j.job_type_id, e.node_id LOOP
            PERFORM api_add_executions(g.status, g.job_type_id, g.node_id, -g.n);
        END LOOP;
    ELSE
        FOR g IN SELECT e.status, e.node_id, count(*) AS n FROM job_exe e WHERE e.job_id = NEW.id
                 GROUP BY e.status, e.node_id LOOP
            PERFORM api_add_executions(g.status, OLD.job_type_id, g.node_id, -g.n);
            PERFORM api_add_executions(g.status, NEW.job_type_id, g.node_id, g.n);
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;
"""

CREATE_TRIGGERS = """
CREATE TRIGGER api_execution_count_insert AFTER INSERT ON job_exe
    REFERENCING NEW TABLE AS new_executions FOR EACH STATEMENT EXECUTE FUNCTION api_count_executions();
CREATE TRIGGER api_execution_count_update AFTER UPDATE ON job_exe FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.node_id IS DISTINCT FROM NEW.node_id
          OR OLD.job_id IS DISTINCT FROM NEW.job_id)
    EXECUTE FUNCTION api_move_execution();
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
    # migration's transaction: about a minute at ten million executions).
    schema_editor.execute('LOCK TABLE job_exe, job IN SHARE ROW EXCLUSIVE MODE')
    schema_editor.execute(TABLE)
    for function in (ADD_FUNCTION, EXECUTIONS_FUNCTION, MOVE_FUNCTION, JOBS_FUNCTION, RECOUNT_FUNCTION):
        schema_editor.execute(function.format(schema=schema))
    schema_editor.execute(CREATE_TRIGGERS)
    schema_editor.execute('SELECT api_recount_executions()')


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != 'postgresql':
        return
    for table, trigger in TRIGGERS:
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {trigger} ON "{table}"')
    for function in (
        'api_count_executions()',
        'api_move_execution()',
        'api_count_job_executions()',
        'api_recount_executions()',
        'api_add_executions(varchar, bigint, bigint, bigint)',
    ):
        schema_editor.execute(f'DROP FUNCTION IF EXISTS {function}')
    schema_editor.execute(f'DROP TABLE IF EXISTS {COUNT_TABLE}')


class Migration(migrations.Migration):
    dependencies = [
        ('job', '0004_listed_change'),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]
