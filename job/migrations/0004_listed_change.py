"""Triggers that count every committed write to the tables list answers show, so a list's ETag is checked
without counting its rows (see job.selectors and docs/performance.md, "ETags"). This app's tables are counted
here; `node` and `error` by their own apps' migrations (node/0002, error/0002), with `add_counting_trigger`.

Scale's own processes write these tables, with their own database user: the PostgreSQL function runs as its
owner (SECURITY DEFINER), so they need no rights on our table.
"""

from django.db import migrations, models

COUNTED_TABLES = ('job_exe', 'job', 'job_type')

# One row per write statement; every 100th id, the writer folds the committed rows it can lock without waiting
# (SKIP LOCKED) into one row of the same sum. Only under READ COMMITTED: at stricter levels a row folded by
# another writer since the snapshot would fail the writer's transaction.
POSTGRESQL_FUNCTION = """
CREATE FUNCTION api_count_listed_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {schema} AS $$
DECLARE
    new_id bigint;
BEGIN
    INSERT INTO api_listed_change (changes) VALUES (1) RETURNING id INTO new_id;
    IF mod(new_id, 100) = 0 AND current_setting('transaction_isolation') = 'read committed' THEN
        WITH folded AS (
            DELETE FROM api_listed_change WHERE id IN (
                SELECT id FROM api_listed_change WHERE id < new_id FOR UPDATE SKIP LOCKED)
            RETURNING changes)
        INSERT INTO api_listed_change (changes) SELECT sum(changes) FROM folded HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END
$$
"""

SQLITE_TRIGGER = """
CREATE TRIGGER api_listed_change_{table}_{event} AFTER {event} ON "{table}" BEGIN
    INSERT INTO api_listed_change (id, changes) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET changes = changes + 1;
END
"""
SQLITE_EVENTS = ('INSERT', 'UPDATE', 'DELETE')


def add_counting_trigger(schema_editor, table):
    """Count the writes to `table`. Replaces a trigger already there: databases migrated before node and error had
    their own migrations got theirs from this one."""
    remove_counting_trigger(schema_editor, table)
    if schema_editor.connection.vendor == 'postgresql':
        schema_editor.execute(
            f'CREATE TRIGGER api_listed_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
            'FOR EACH STATEMENT EXECUTE FUNCTION api_count_listed_change()'
        )
    elif schema_editor.connection.vendor == 'sqlite':
        for event in SQLITE_EVENTS:
            schema_editor.execute(SQLITE_TRIGGER.format(table=table, event=event))


def remove_counting_trigger(schema_editor, table):
    if schema_editor.connection.vendor == 'postgresql':
        schema_editor.execute(f'DROP TRIGGER IF EXISTS api_listed_change ON "{table}"')
    elif schema_editor.connection.vendor == 'sqlite':
        for event in SQLITE_EVENTS:
            schema_editor.execute(f'DROP TRIGGER IF EXISTS api_listed_change_{table}_{event}')


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == 'postgresql':
        # A SECURITY DEFINER function must not follow the caller's search_path; it gets the schema our table is
        # created in, which need not be `public`.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute('SELECT current_schema()')
            schema = cursor.fetchone()[0]
        schema_editor.execute(POSTGRESQL_FUNCTION.format(schema=schema_editor.quote_name(schema)))
    for table in COUNTED_TABLES:
        add_counting_trigger(schema_editor, table)


def remove_triggers(apps, schema_editor):
    for table in COUNTED_TABLES:
        remove_counting_trigger(schema_editor, table)
    if schema_editor.connection.vendor == 'postgresql':
        schema_editor.execute('DROP FUNCTION IF EXISTS api_count_listed_change()')


class Migration(migrations.Migration):
    dependencies = [
        ('error', '0001_initial'),
        ('job', '0003_filter_count_indexes'),
        ('node', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='ListedChange',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('changes', models.BigIntegerField()),
            ],
            options={'db_table': 'api_listed_change'},
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
