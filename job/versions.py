"""What the ETags of the job execution answers cover, read by one cheap query each.

Lists: the number of committed writes to the tables a list shows, kept by database triggers in the table of
`ListedChange` (migration job/0004). Every committed insert, update, delete or truncate of an execution, job, job
type, node or error adds to it when it becomes visible, and nothing else does, so a list answer can only differ
from one with the same number if the URL differs. It costs a sum over a few rows instead of counting the set, and
it depends neither on `last_modified` nor on the order in which transactions commit.

Details: the `last_modified` of the execution and of each row joined into its details. Scale stamps it on every
save; job type revisions and trigger events are never updated once written, so they are not covered.
"""
from django.db import connections

from job.models import ListedChange

_LISTED_CHANGES = f'SELECT CAST(COALESCE(SUM(changes), 0) AS BIGINT) AS changes FROM {ListedChange._meta.db_table}'

# The rows shown in details that have a last_modified, as paths from the execution.
DETAIL_VERSION_PATHS = (
    'last_modified', 'job__last_modified', 'job__job_type__last_modified',
    'node__last_modified', 'error__last_modified', 'job__error__last_modified',
)


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
    rows = list(queryset.filter(pk=pk).values_list(*DETAIL_VERSION_PATHS))  # a pk lookup needs no LIMIT
    return rows[0] if rows else None


def last_change(version):
    """The newest of a details version's timestamps: the answer's Last-Modified."""
    return max(moment for moment in version if moment is not None)
