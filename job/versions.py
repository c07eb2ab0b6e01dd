"""What the ETags of the job execution answers cover, read by one cheap query each.

Lists: the number of committed writes to the tables a list shows, kept by database triggers in the table of
`ListedChange` (migration job/0004). Every committed insert, update, delete or truncate of an execution, job, job
type, node or error adds to it when it becomes visible, and nothing else does, so a list answer can only differ
from one with the same number if the URL differs. It costs a sum over a few rows instead of counting the set, and
it depends neither on `last_modified` nor on the order in which transactions commit.

Details: the `last_modified` of the execution and of each row joined into its details (`DETAIL_VERSION_PATHS`,
derived from the details shape). Scale stamps it on every save; job type revisions and trigger events are never
updated once written, so they are not covered.

The shape's part of each tag is the compiled shape's fingerprint (`RowSerializer.fingerprint`).
"""
import datetime
import functools

from django.conf import settings
from django.db import connections
from django_filters import OrderingFilter

from job.filtersets import JobExecutionFilterSet
from job.models import JobExecution, ListedChange
from job.serializers import DETAIL_VERSION_PATHS, LIST_ROWS
from scale.rows import path_models

_LISTED_CHANGES = f'SELECT CAST(COALESCE(SUM(changes), 0) AS BIGINT) AS changes FROM {ListedChange._meta.db_table}'

__all__ = ['DETAIL_VERSION_PATHS', 'LISTED_TABLES', 'listed_changes', 'list_version', 'detail_version',
           'missing_triggers']


def _listed_paths():
    """Every path a list answer depends on: the list shape's columns, and what its filters and order read."""
    yield from LIST_ROWS.paths
    for list_filter in JobExecutionFilterSet.base_filters.values():
        if isinstance(list_filter, OrderingFilter):
            yield from list_filter.param_map.values()
        else:
            yield list_filter.field_name


# The tables whose writes must change the lists' version: the triggers of migration job/0004 count exactly these
# (a test compares them), and /readyz checks each still has its trigger.
LISTED_TABLES = tuple(sorted({
    model._meta.db_table for path in _listed_paths() for model in path_models(JobExecution, path)}))


def listed_changes(alias):
    """The lists' version on database `alias`."""
    with connections[alias].cursor() as cursor:
        cursor.execute(_LISTED_CHANGES)
        return cursor.fetchone()[0]


def list_version(queryset, known_changes=None):
    """One statement: the lists' version and, unless it equals `known_changes`, the filtered executions' count.

    Both come from one snapshot, so the count is the one that version describes. When the client's tag names the
    current version the count is not computed at all: that is what makes a 304 cheap. The count selects the
    filtered ids alone, so ordering and the nested rows add no join to it.
    """
    ids_sql, ids_params = queryset.order_by().values('pk').query.get_compiler(queryset.db).as_sql()
    sql = (f'SELECT listed.changes, CASE WHEN listed.changes = %s THEN NULL '
           f'ELSE (SELECT COUNT(*) FROM ({ids_sql}) filtered) END FROM ({_LISTED_CHANGES}) listed')
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, [known_changes, *ids_params])
        return cursor.fetchone()


def detail_version(queryset, pk):
    """The last_modified of the execution and of each row joined into its details, or None if there is none."""
    if not _INT32_MIN <= int(pk) <= _INT32_MAX:  # Scale's ids are 32-bit: no such row
        return None
    connection = connections[queryset.db]
    with connection.cursor() as cursor:
        cursor.execute(*_detail_version_statement(connection, int(pk)))
        row = cursor.fetchone()
    return in_utc(row) if row else None


_PREPARED = 'scale_detail_version'


def _detail_version_statement(connection, pk):
    """On PostgreSQL the lookup is prepared once per connection: planning its five joins took longer than running
    it. The PREPARE goes through the driver's own cursor, as connection set-up does, not as a request's statement."""
    sql = _detail_version_sql(connection.alias)
    if connection.vendor != 'postgresql' or not settings.DATABASE_PREPARED_STATEMENTS:
        return sql, [pk]
    if getattr(connection, 'detail_version_prepared_on', None) is not connection.connection:
        with connection.connection.cursor() as cursor:
            cursor.execute(f'PREPARE {_PREPARED} (integer) AS {sql.replace("%s", "$1")}')
        connection.detail_version_prepared_on = connection.connection
    return f'EXECUTE {_PREPARED} (%s)', [pk]


def in_utc(moments):
    """Timestamps as aware UTC datetimes, the same whether the ORM or a cursor read them (SQLite's cursor gives
    naive UTC), so a version reads the same on both paths."""
    return tuple(None if moment is None else moment.replace(tzinfo=moment.tzinfo or datetime.timezone.utc)
                 .astimezone(datetime.timezone.utc) for moment in moments)


_INT32_MIN, _INT32_MAX = -2**31, 2**31 - 1


@functools.cache
def _detail_version_sql(alias):
    """The version lookup compiled once: building it with the ORM cost more than running it (a 304's main cost).
    A pk lookup needs no LIMIT."""
    query = JobExecution.objects.filter(pk=0).values_list(*DETAIL_VERSION_PATHS).query
    sql, params = query.get_compiler(alias).as_sql()
    if list(params) != [0]:
        raise ValueError(f'expected the pk as the only parameter, got {params}')
    return sql


def last_change(version):
    """The newest of a details version's timestamps: the answer's Last-Modified."""
    return max(moment for moment in version if moment is not None)


_SQLITE_TRIGGER_EVENTS = ('INSERT', 'UPDATE', 'DELETE')


def missing_triggers(alias):
    """The listed tables on database `alias` whose change-counting trigger is missing (or disabled): lists would
    answer 304 to tags their writes made stale. A table restored or recreated without it shows up here."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == 'postgresql':
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = 'api_listed_change' AND t.tgenabled <> 'D' AND pg_table_is_visible(c.oid)")
            present = {table for (table,) in cursor.fetchall()}
        elif connection.vendor == 'sqlite':
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            names = {name for (name,) in cursor.fetchall()}
            present = {table for table in LISTED_TABLES
                       if all(f'api_listed_change_{table}_{event}' in names for event in _SQLITE_TRIGGER_EVENTS)}
        else:
            return []
    return [table for table in LISTED_TABLES if table not in present]
