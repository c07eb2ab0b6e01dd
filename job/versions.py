"""What the ETags of the job execution answers cover: cheap queries that change whenever a shown row changes.

Every row Scale writes gets `last_modified` stamped with the current time, so the newest `last_modified` of a
set and its size change on every insert, update or delete in it (a row leaving the set, by deletion or by an
update that no longer matches the filters, changes the size; a row entering or changing is the newest). Rows
joined into an answer (job, job type, node, error) can change without touching the execution, so their tables'
newest changes are covered too: conservative (any job saved renews every list tag). It assumes saves become
visible in the order of their `last_modified` (see docs/performance.md, "ETags"). Revisions and trigger events are
never updated by Scale once written, so they are not covered.
"""
from django.db import connections
from django.db.models import Subquery

from error.models import Error
from job.models import Job, JobType
from node.models import Node

_JOINED_MODELS = (Job, JobType, Node, Error)

# The rows shown in details that have a last_modified, as paths from the execution.
DETAIL_VERSION_PATHS = (
    'last_modified', 'job__last_modified', 'job__job_type__last_modified',
    'node__last_modified', 'error__last_modified', 'job__error__last_modified',
)


def _newest(queryset, field):
    """The set's highest `field`, read from the top of an index instead of aggregating the set."""
    return queryset.order_by(f'-{field}').values(field)[:1]


def newest_joined_changes():
    """Subqueries for the newest change in each table joined into list rows; evaluated once per query."""
    return {f'newest_{model._meta.db_table}': Subquery(_newest(model.objects, 'last_modified'))
            for model in _JOINED_MODELS}


def list_version(queryset):
    """One query over the filtered executions: their count (the page's `count`) and what dates them.

    A SELECT of scalar subqueries, so the dating values are computed once, not aggregated over every counted row.
    The count selects from the filtered ids alone: ordering and the nested rows add no join to it.
    """
    unordered, alias = queryset.order_by(), queryset.db
    parts = [_sql(unordered.values('pk'), alias), _sql(_newest(unordered, 'last_modified'), alias)]
    parts += [_sql(_newest(model.objects, 'last_modified'), alias) for model in _JOINED_MODELS]
    sql = 'SELECT (SELECT COUNT(*) FROM ({}) filtered), {}'.format(
        parts[0][0], ', '.join(f'({part})' for part, _ in parts[1:]))
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [param for _, params in parts for param in params])
        version = cursor.fetchone()
    return version[0], tuple(version)


def _sql(queryset, alias):
    return queryset.query.get_compiler(alias).as_sql()


def detail_version(queryset, pk):
    """The last_modified of the execution and of each row joined into its details, or None if there is none."""
    rows = list(queryset.filter(pk=pk).values_list(*DETAIL_VERSION_PATHS))  # a pk lookup needs no LIMIT
    return rows[0] if rows else None


def last_change(version):
    """The newest of a details version's timestamps: the answer's Last-Modified."""
    return max(moment for moment in version if moment is not None)
