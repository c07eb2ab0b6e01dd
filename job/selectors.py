"""Every database read of the job execution endpoints, and what their ETags cover.

Statements per answer (pinned by the query-count tests in job/tests/test_views.py):

| answer | statements |
|---|---|
| a list page (page numbers) | 2: `list_version` (version and count, see job.counts), then the page's rows |
| a keyset page | 2: `listed_changes`, then the page's rows |
| a list with a current tag (304) | 1: `list_version`, which skips the count for the version the tag names |
| details | 1: `details_row`, whose row carries its own version |
| details with a tag | 1 when current (`detail_version`), 2 when stale (then `details_row`) |
| JSON logs of a finished execution | 1: `json_logs_row`, with both capped tails; running ones add `stored_tails` |

`detail_version` is the one prepared statement: on PostgreSQL it is PREPAREd once per connection (planning its
five joins took longer than running it), through the driver's own cursor, so it is not counted as a request's
statement; the EXECUTE is. A list page's rows are the one read not made here: as in DRF, the paginator
(scale.pagination.page_rows) evaluates the filtered queryset, ids first, then only those rows (docs/architecture.md,
"Reads"; scale/tests/test_reads.py checks no other module reads).

Lists' version: the number of committed writes to the tables a list shows, kept by database triggers in the table of
`ListedChange` (migration job/0004). Every committed insert, update, delete or truncate of an execution, job, job
type, node or error adds to it when it becomes visible, and nothing else does, so a list answer can only differ
from one with the same number if the URL differs. It costs a sum over a few rows instead of counting the set, and
it depends neither on `last_modified` nor on the order in which transactions commit.

Details' version: the `last_modified` of the execution and of each row joined into its details
(`DETAIL_VERSION_PATHS`, derived from the details shape). Scale stamps it on every save; job type revisions and
trigger events are never updated once written, so they are not covered.

The shape's part of each tag is the compiled shape's fingerprint (`RowSerializer.fingerprint`).
"""

import datetime
import functools

from django.conf import settings
from django.db import connections
from django.db.models import BigIntegerField, BinaryField, Case, Func, Value, When
from django.db.models.functions import Greatest
from django.http import Http404

from job.filtersets import JobExecutionFilterSet
from job.models import JobExecution, ListedChange
from job.serializers import DETAIL_ROWS, DETAIL_VERSION_PATHS, LIST_ROWS
from scale.filters import OrderingFilter
from scale.rows import path_models

_LISTED_CHANGES = f'SELECT CAST(COALESCE(SUM(changes), 0) AS BIGINT) AS changes FROM {ListedChange._meta.db_table}'
STREAMS = ('stdout', 'stderr')


# One row by primary key


def row_or_none(queryset, pk):
    """The one row of `queryset` with this pk, or None. Not get() or first(): their LIMIT (and first()'s ORDER BY)
    make PostgreSQL plan these many-join lookups up to twice as long, for a result of at most one row anyway."""
    rows = list(queryset.filter(pk=pk))
    return rows[0] if rows else None


def by_primary_key(queryset, pk):
    """The one row of `queryset` with this pk, or a 404."""
    row = row_or_none(queryset, pk)
    if row is None:
        raise Http404(f'No {queryset.model._meta.object_name} matches the given query.')
    return row


# Lists


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
LISTED_TABLES = tuple(
    sorted({model._meta.db_table for path in _listed_paths() for model in path_models(JobExecution, path)})
)


def listed_changes(alias):
    """The lists' version on database `alias`."""
    with connections[alias].cursor() as cursor:
        cursor.execute(_LISTED_CHANGES)
        return cursor.fetchone()[0]


def list_version(queryset, known_changes=None, count=None):
    """One statement: the lists' version and, unless it equals `known_changes`, the filtered executions' count.

    Both come from one snapshot, so the count is the one that version describes. When the client's tag names the
    current version the count is not computed at all: that is what makes a 304 cheap. `count` is (sql, params) of a
    scalar subquery that counts the same rows (job.counts.count_sql: a sum over per-group counts); without it the
    filtered ids are counted, selected alone so that ordering and the nested rows add no join.
    """
    if count is None:
        ids_sql, ids_params = queryset.order_by().values('pk').query.get_compiler(queryset.db).as_sql()
        count = f'SELECT COUNT(*) FROM ({ids_sql}) filtered', ids_params
    count_sql, count_params = count
    sql = (
        f'SELECT listed.changes, CASE WHEN listed.changes = %s THEN NULL '
        f'ELSE ({count_sql}) END FROM ({_LISTED_CHANGES}) listed'
    )
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, [known_changes, *count_params])
        return cursor.fetchone()


# Details


def details_row(pk):
    """(the details answer, its version) from one statement; a 404 when there is no such execution."""
    row = by_primary_key(JobExecution.objects.values_list(*DETAIL_ROWS.paths), pk)
    return DETAIL_ROWS.to_dict(row), in_utc(row[DETAIL_ROWS.position(path)] for path in DETAIL_VERSION_PATHS)


def detail_version(pk):
    """The last_modified of the execution and of each row joined into its details, or None if there is none."""
    if not _INT32_MIN <= int(pk) <= _INT32_MAX:  # Scale's ids are 32-bit: no such row
        return None
    connection = connections[JobExecution.objects.all().db]
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
    return tuple(
        None
        if moment is None
        else moment.replace(tzinfo=moment.tzinfo or datetime.timezone.utc).astimezone(datetime.timezone.utc)
        for moment in moments
    )


_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


@functools.cache
def _detail_version_sql(alias):
    """The version lookup compiled once: building it with the ORM cost more than running it (a 304's main cost).
    A pk lookup needs no LIMIT."""
    query = JobExecution.objects.filter(pk=0).values_list(*DETAIL_VERSION_PATHS).query
    sql, params = query.get_compiler(alias).as_sql()
    if list(params) != [0]:
        raise ValueError(f'expected the pk as the only parameter, got {params}')
    return sql


# The triggers lists rely on

_SQLITE_TRIGGER_EVENTS = ('INSERT', 'UPDATE', 'DELETE')


def missing_triggers(alias):
    """The listed tables on database `alias` whose change-counting trigger is missing (or disabled): lists would
    answer 304 to tags their writes made stale. A table restored or recreated without it shows up here."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == 'postgresql':
            cursor.execute(
                'SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid '
                "WHERE t.tgname = 'api_listed_change' AND t.tgenabled <> 'D' AND pg_table_is_visible(c.oid)"
            )
            present = {table for (table,) in cursor.fetchall()}
        elif connection.vendor == 'sqlite':
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            names = {name for (name,) in cursor.fetchall()}
            present = {
                table
                for table in LISTED_TABLES
                if all(f'api_listed_change_{table}_{event}' in names for event in _SQLITE_TRIGGER_EVENTS)
            }
        else:
            return []
    return [table for table in LISTED_TABLES if table not in present]


# Logs: stored bytes are sliced in SQL, so no more than asked for leaves the database.


class OctetLength(Func):
    """The size in bytes of a text column (NULL stays NULL)."""

    function = 'OCTET_LENGTH'
    output_field = BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template='LENGTH(CAST(%(expressions)s AS BLOB))', **extra_context)


class Utf8Bytes(Func):
    """A text column as its UTF-8 bytes, so that SUBSTR counts bytes rather than characters."""

    template = "CONVERT_TO(%(expressions)s, 'UTF8')"
    output_field = BinaryField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template='CAST(%(expressions)s AS BLOB)', **extra_context)


def byte_slice(column, start, length=None):
    """SQL for the bytes of text `column` from 0-based byte `start` (an int or expression), `length` of them."""
    args = [Utf8Bytes(column), start + 1] + ([] if length is None else [Value(length)])
    return Func(*args, function='SUBSTR', output_field=BinaryField())


def byte_tail(column, max_bytes):
    """SQL for the last `max_bytes` bytes of text `column`."""
    return byte_slice(column, Greatest(OctetLength(column) - max_bytes, Value(0)))


# Large columns that the JSON logs answer does not show; its logs are read as capped tails instead.
_UNSHOWN_COLUMNS = (
    'stdout',
    'stderr',
    'docker_params',
    'job_metrics',
    'environment',
    'results',
    'results_manifest',
    'job__data',
    'job__results',
    'job__docker_params',
    'job__job_type__interface',
    'job__job_type__error_mapping',
    'job__job_type__docker_params',
)


def json_logs_row(pk, max_bytes):
    """The execution as the JSON logs answer shows it (a 404 if there is none), with each stream's stored size
    (`<name>_size`) and, when it is finished, its last `max_bytes` bytes (`<name>_tail`): one statement."""
    finished = JobExecution.FINAL_STATUSES
    annotations = {}
    for name in STREAMS:
        annotations[f'{name}_size'] = OctetLength(name)
        annotations[f'{name}_tail'] = Case(
            When(status__in=finished, then=byte_tail(name, max_bytes)), output_field=BinaryField()
        )
    rows = (
        JobExecution.objects
        # the list shape is nested here; node also tells which agent to read live logs from
        .select_related('job__job_type', 'node', 'error')
        .defer(*_UNSHOWN_COLUMNS)
        .annotate(**annotations)
    )
    return by_primary_key(rows, pk)


def stored_tails(execution_id, max_bytes):
    """{name: (its last max_bytes[name] stored bytes, its stored size, its current live URL)}, or None when the
    execution is gone."""
    tails = {f'{name}_tail': byte_tail(name, max(room, 0)) for name, room in max_bytes.items()}
    sizes = {f'{name}_size': OctetLength(name) for name in max_bytes}
    urls = [f'current_{name}_url' for name in max_bytes]
    values = row_or_none(JobExecution.objects.values(*urls, **tails, **sizes), execution_id)
    if values is None:
        return None
    return {name: (values[f'{name}_tail'], values[f'{name}_size'], values[f'current_{name}_url']) for name in max_bytes}


def _stream_rows(name):
    """Executions with just what the stream `name` needs: status, its live URL, the node, its stored size."""
    return (
        JobExecution.objects.select_related('node')  # node: the agent that serves the live file
        .only('status', f'current_{name}_url', 'node__hostname', 'node__port')
        .annotate(stored_size=OctetLength(name))
    )


def stream_row(pk, name):
    """The execution as the stream `name` needs it (status, live URL, node, `stored_size`), or a 404."""
    return by_primary_key(_stream_rows(name), pk)


def stream_row_now(pk, name):
    """`stream_row` as the row is now, or None once it is gone (a follow rereads it)."""
    return row_or_none(_stream_rows(name), pk)


def stored_slice(execution_id, column, offset, length):
    """Bytes `offset` to `offset + length` of the stored `column` (a view, not a copy: these are megabytes)."""
    value = row_or_none(JobExecution.objects.values_list(byte_slice(column, Value(offset), length)), execution_id)
    return memoryview(value[0]).cast('B') if value and value[0] else b''
