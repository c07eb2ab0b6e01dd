"""A list's exact count from the per-group execution counts that triggers keep (migration job/0005), when its
filters allow: any combination of status, job type id, name or category, and node. On PostgreSQL that is a sum over
a few rows per (status, job type, node) instead of a scan; other filters (the time range) and SQLite count the
filtered rows as before.

`count_sql` gives the count as one scalar subquery, so the caller can read it in the same statement (and snapshot)
as the lists' version; `sizes_sql` gives it with the sizes that say how the page is cheaper found (`GroupSizes`),
and with the ids of the job types the job type filters select, so the page can filter on each execution's own
`job_type_id` (kept by the triggers of migration job/0007), whose statistics PostgreSQL has, instead of joining
`job` and `job_type` for a name or category.
`missing_triggers` says when the groups cannot be trusted (/readyz).
"""

import importlib
from dataclasses import dataclass

from django.db import connections, transaction

from job.filtersets import JOB_TYPE_FILTERS  # columns of the execution's job or its type

# What the migrations created is named there, once.
counting = importlib.import_module('job.migrations.0005_execution_group_counts')
job_types = importlib.import_module('job.migrations.0007_execution_job_type')

COUNT_TABLE = counting.COUNT_TABLE
# The groups, and each execution's job type (job_exe.job_type_id), which the page filters on.
TRIGGERS = counting.TRIGGERS + job_types.TRIGGERS

# Filter name -> the column of a group (or of its job type) it compares.
GROUP_COLUMNS = {
    'status': 'counted.status',
    'job_type_id': 'counted.job_type_id',
    'node_id': 'counted.node_id',
    'job_type_name': 'counted_type.name',
    'job_type_category': 'counted_type.category',
}
_EXECUTION_FILTERS = ('status', 'node_id')  # columns of job_exe
# Filter name -> the column of a job type it compares, to select the job types themselves.
_JOB_TYPE_COLUMNS = {
    'job_type_id': 'selected_type.id',
    'job_type_name': 'selected_type.name',
    'job_type_category': 'selected_type.category',
}


def count_sql(alias, filters):
    """(sql, params) of a scalar subquery giving the number of executions these filters select, or None when the
    groups cannot answer it (not PostgreSQL, or a filter other than those of GROUP_COLUMNS is set).

    `filters` maps a filter's name to its cleaned value; empty values (None, []) filter nothing, as in the list.
    Each value of a group filter is a list, matched as `IN`, so NULLs (an unscheduled execution's node, a job
    type without category) never match, as in the list's own filters.
    """
    return _groups_sql(alias, filters, lambda executions: [executions(GROUP_COLUMNS)])


def sizes_sql(alias, filters):
    """(sql, params) of a scalar subquery giving these filters' `GroupSizes` as an array (read it with
    `GroupSizes.read`), or None when the groups cannot answer (as `count_sql`). With a job type filter, the array
    ends with the ids of the job types the job type filters select, read in the same snapshot as the count."""

    def sizes(executions):
        count = executions(GROUP_COLUMNS)
        # An index in the list's order can lead with one status, one node or both (job_exe_status_modified_id,
        # job_exe_node_modified_id, job_exe_status_node_modified): a walk along it visits the rows of that status
        # and node, else every row.
        walked = executions([name for name in _EXECUTION_FILTERS if len(filters.get(name) or ()) == 1])
        # Fetching reads each status and node filter's index range into a bitmap (measured at 10,000,000: combining
        # the 500,000 FAILED with the 250,000 of a node cost more than walking), or the executions of the job types.
        used = [name for name in _EXECUTION_FILTERS if filters.get(name)]
        by_execution = ' + '.join(executions([name]) for name in used) if used else executions(())
        # The executions of the job types selected: one type's lie along job_exe_type_modified_id (GroupSizes.read).
        return [count, walked, by_execution, executions(JOB_TYPE_FILTERS)]

    return _groups_sql(alias, filters, sizes, with_job_types=True)


def _groups_sql(alias, filters, sums, with_job_types=False):
    """(sql, params) of a scalar subquery over the groups: the bigint `sums(executions)` gives (an array when it
    gives more than one), where `executions(names)` is the SQL of the executions that the filters among `names`
    select (all executions when none of them is used), followed `with_job_types` by the ids of the job types the
    job type filters select, when one is used. None when the groups cannot answer."""
    if connections[alias].vendor != 'postgresql':
        return None
    used = {name: values for name, values in filters.items() if values not in (None, [], ())}
    if any(name not in GROUP_COLUMNS for name in used):
        return None
    params = []

    def matches(columns, names):
        conditions = []
        for name in names:
            if name in used:
                conditions.append(f'{columns[name]} IN ({", ".join(["%s"] * len(used[name]))})')
                params.extend(used[name])
        return conditions

    def executions(names):
        conditions = matches(GROUP_COLUMNS, names)
        selected = f' FILTER (WHERE {" AND ".join(conditions)})' if conditions else ''
        return f'COALESCE(SUM(counted.executions){selected}, 0)'

    columns = sums(executions)
    selected = (
        f'CAST({columns[0]} AS BIGINT)' if len(columns) == 1 else f'CAST(ARRAY[{", ".join(columns)}] AS BIGINT[])'
    )
    if with_job_types and any(name in JOB_TYPE_FILTERS for name in used):
        conditions = matches(_JOB_TYPE_COLUMNS, JOB_TYPE_FILTERS)
        ids = f'SELECT selected_type.id FROM job_type selected_type WHERE {" AND ".join(conditions)}'
        selected = f'{selected} || CAST(ARRAY({ids} ORDER BY selected_type.id) AS BIGINT[])'
    join = ''
    if any(name in JOB_TYPE_FILTERS for name in used):
        # Names and categories are read now, so renaming a job type moves nothing.
        join = ' JOIN job_type counted_type ON counted_type.id = counted.job_type_id'
    return f'SELECT {selected} FROM {COUNT_TABLE} counted{join}', params


@dataclass(frozen=True)
class GroupSizes:
    """What the groups tell about a list before its page is read: `count`, the rows its filters select; `walked`,
    the rows an index in the list's order holds in the range those filters can bound (one status, one node, or
    both, or one job type, whichever is fewest, else the whole table); `fetched`, the index entries the filters' own
    indexes give (the rows of each status and node filtered on, summed, or their job types' executions, whichever
    are fewer)."""

    count: int
    walked: int
    fetched: int
    job_type_ids: tuple = None  # the job types the job type filters select; None without a job type filter

    @classmethod
    def read(cls, values, filters):
        """The sizes from the array of `sizes_sql` for these `filters`."""
        count, walked, by_execution, of_job_types, *job_type_ids = values
        fetched = min(by_execution, of_job_types)
        if not any(filters.get(name) for name in JOB_TYPE_FILTERS):
            return cls(count, walked, fetched)
        if len(job_type_ids) == 1:  # job_exe_type_modified_id holds that type's executions in the list's order
            walked = min(walked, of_job_types)
        return cls(count, walked, fetched, tuple(job_type_ids))

    def sorts_matches(self, end):
        """True when finding the first `end` matching rows by walking the ordering index, checking each row, is
        expected to visit more rows than fetching what the filters' indexes give and sorting the matches. Matches are
        taken as spread evenly along the walk, one in every walked / count rows."""
        return end * self.walked > self.fetched * self.count


def grouped_count(alias, filters):
    """The count of `count_sql`, read on its own (tests, and callers with no statement to share)."""
    sql, params = count_sql(alias, filters)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def missing_triggers(alias):
    """The counting triggers absent or disabled on database `alias` (`table.trigger`); empty when the counts can be
    trusted, and on SQLite, which counts by scanning."""
    connection = connections[alias]
    if connection.vendor != 'postgresql':
        return []
    with connection.cursor() as cursor:
        # 'D' is disabled; 'R' fires only in replica sessions, so ordinary writes would not be counted.
        cursor.execute(
            'SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid '
            "WHERE c.relnamespace = current_schema()::regnamespace AND t.tgenabled IN ('O', 'A')"
        )
        present = set(cursor.fetchall())
    return [f'{table}.{trigger}' for table, trigger in TRIGGERS if (table, trigger) not in present]


MAX_BIGINT = 2**63 - 1


def recount(alias):
    """Sets each execution's job type from its job and counts every execution again from the tables (after a restore
    or a TRUNCATE without triggers); Scale's writes wait for the count. Returns the number of executions."""
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        # Locked before anything is written here, so a writer never holds a row this waits for while waiting itself.
        cursor.execute('LOCK TABLE job_exe, job IN SHARE MODE')
        cursor.execute('SELECT api_fill_execution_job_types(0, %s)', [MAX_BIGINT])
        cursor.execute('SELECT api_recount_executions()')
        return cursor.fetchone()[0]
