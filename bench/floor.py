"""The floor each answer is compared with: the same JSON built by one hand-written SQL query and json.dumps.

Timestamps are formatted by PostgreSQL in the API's form (UTC, milliseconds, Z), so Python only nests tuples.
"""

import json
from urllib.parse import urlencode

EXECUTION = [
    'id',
    'status',
    'command_arguments',
    'timeout',
    'pre_started',
    'pre_completed',
    'pre_exit_code',
    'job_started',
    'job_completed',
    'job_exit_code',
    'post_started',
    'post_completed',
    'post_exit_code',
    'created',
    'queued',
    'started',
    'ended',
    'last_modified',
]
EXECUTION_DETAILS = [
    'environment',
    'cpus_scheduled',
    'mem_scheduled',
    'disk_in_scheduled',
    'disk_out_scheduled',
    'disk_total_scheduled',
    'results',
    'current_stdout_url',
    'current_stderr_url',
    'results_manifest',
]
JOB_TYPE = [
    'id',
    'name',
    'version',
    'title',
    'description',
    'category',
    'author_name',
    'author_url',
    'is_system',
    'is_long_running',
    'is_active',
    'is_operational',
    'is_paused',
    'icon_code',
]
JOB = ['id', 'status', 'priority', 'num_exes']
JOB_DETAILS = [
    'timeout',
    'max_tries',
    'cpus_required',
    'mem_required',
    'disk_in_required',
    'disk_out_required',
    'created',
    'queued',
    'started',
    'ended',
    'last_status_change',
    'last_modified',
]
NODE = ['id', 'hostname', 'port', 'slave_id']
NODE_DETAILS = [
    'pause_reason',
    'is_paused',
    'is_paused_errors',
    'is_active',
    'archived',
    'created',
    'last_offer',
    'last_modified',
]
ERROR = ['id', 'name', 'title', 'description', 'category']
TIMESTAMPS = {
    'pre_started',
    'pre_completed',
    'job_started',
    'job_completed',
    'post_started',
    'post_completed',
    'created',
    'queued',
    'started',
    'ended',
    'last_modified',
    'last_status_change',
    'archived',
    'last_offer',
    'occurred',
}

FROM = """FROM job_exe e JOIN job j ON j.id = e.job_id JOIN job_type t ON t.id = j.job_type_id
          LEFT JOIN node n ON n.id = e.node_id LEFT JOIN error r ON r.id = e.error_id"""


def columns(alias, names):
    return ', '.join(
        f'to_char({alias}.{name} AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\')'
        if name in TIMESTAMPS
        else f'{alias}.{name}'
        for name in names
    )


LIST_COLUMNS = ', '.join(
    [
        columns('e', EXECUTION),
        columns('j', JOB),
        'j.job_type_rev_id, j.event_id, j.error_id',
        columns('t', JOB_TYPE),
        columns('n', NODE),
        columns('r', ERROR),
    ]
)


class Row:
    """Reads a result row left to right, as the SELECT lists its columns."""

    def __init__(self, values):
        self.values, self.position = values, 0

    def take(self, names):
        start, self.position = self.position, self.position + len(names)
        return dict(zip(names, self.values[start : self.position]))

    def take_optional(self, names):
        taken = self.take(names)
        return taken if taken['id'] is not None else None

    def reference(self):
        value = self.values[self.position]
        self.position += 1
        return {'id': value} if value is not None else None


def list_result(row):
    """The list shape from the row's next columns (LIST_COLUMNS)."""
    result = row.take(EXECUTION)
    job = row.take(JOB)
    job_type_rev, event, job_error = row.reference(), row.reference(), row.reference()
    job = {
        'id': job['id'],
        'job_type': row.take(JOB_TYPE),
        'job_type_rev': job_type_rev,
        'event': event,
        'error': job_error,
        'status': job['status'],
        'priority': job['priority'],
        'num_exes': job['num_exes'],
    }
    return {**result, 'job': job, 'node': row.take_optional(NODE), 'error': row.take_optional(ERROR)}


def list_page(cursor, where, params, order, page, page_size, base_url, query, count, tables='job_exe e'):
    """A page-number page: the count as a scalar subquery (`count`: its sql and params), the page's ids from the
    index, then their rows. `tables` are those the filter needs, so the ids join nothing else."""
    count_sql, count_params = count
    cursor.execute(
        f"""
        SELECT ({count_sql}), {LIST_COLUMNS}
        {FROM}
        WHERE e.id IN (SELECT e.id FROM {tables} WHERE {where} ORDER BY {order} LIMIT %s OFFSET %s)
        ORDER BY {order}""",
        [*count_params, *params, page_size, (page - 1) * page_size],
    )
    rows = cursor.fetchall()
    count = rows[0][0] if rows else 0
    body = {
        'count': count,
        'next': _page_link(base_url, query, page + 1) if page * page_size < count else None,
        'previous': _page_link(base_url, query, page - 1) if page > 1 else None,
        'results': [list_result(Row(values[1:])) for values in rows],
    }
    return json.dumps(body, separators=(',', ':'), ensure_ascii=False).encode()


def scanned_count(tables, where, params):
    """The count as the service takes it for filters the group counts cannot answer (a time range): a scan."""
    return f'SELECT count(*) FROM {tables} WHERE {where}', list(params)


def group_count(where='TRUE', params=(), join=''):
    """The count as the service takes it for status, job type and node filters: a sum over the per-group counts
    (migration job/0005), `where` on their columns (`c.status`, `c.job_type_id`, `c.node_id`, and `t.` for the
    job type when `join` joins it)."""
    sql = f'SELECT COALESCE(SUM(c.executions), 0)::bigint FROM api_execution_count c {join} WHERE {where}'
    return sql, list(params)


def _page_link(base_url, query, page):
    params = {**query, 'page': page}
    if page == 1:
        del params['page']
    return f'{base_url}?{urlencode(sorted(params.items()))}' if params else base_url


def keyset_page(cursor, after, page_size):
    """A keyset page in the default order: rows after (last_modified, id), no count."""
    cursor.execute(
        f"""
        SELECT {LIST_COLUMNS} {FROM}
        WHERE (e.last_modified, e.id) > (%s, %s) ORDER BY e.last_modified, e.id LIMIT %s""",
        [*after, page_size + 1],
    )
    rows = cursor.fetchall()
    body = {
        'next': 'more' if len(rows) > page_size else None,
        'previous': 'back',
        'results': [list_result(Row(values)) for values in rows[:page_size]],
    }
    return json.dumps(body, separators=(',', ':'), ensure_ascii=False).encode()


DETAIL_SQL = f"""
    SELECT {LIST_COLUMNS}, {columns('e', EXECUTION_DETAILS)}, {columns('j', JOB_DETAILS)},
           v.revision_num, v.job_type_id, ev.type, ev.rule_id, {columns('ev', ['occurred'])}, {columns('je', ERROR)},
           {columns('n', NODE_DETAILS)}, {columns('r', ['created', 'last_modified'])}
    {FROM} JOIN job_type_revision v ON v.id = j.job_type_rev_id JOIN trigger_event ev ON ev.id = j.event_id
    LEFT JOIN error je ON je.id = j.error_id
    WHERE e.id = %s"""


def details(cursor, pk):
    cursor.execute(DETAIL_SQL, [pk])
    row = Row(cursor.fetchone())
    body = list_result(row)
    body.update(row.take(EXECUTION_DETAILS))
    for name in ('environment', 'results', 'results_manifest'):  # Django reads jsonb as text on its connection
        body[name] = json.loads(body[name]) if body[name] is not None else None
    job = body['job']
    job.update(row.take(JOB_DETAILS))
    revision = row.take(['revision_num', 'job_type'])
    job['job_type_rev'] = {
        'id': job['job_type_rev']['id'],
        'job_type': {'id': revision['job_type']},
        'revision_num': revision['revision_num'],
    }
    event = row.take(['type', 'rule', 'occurred'])
    job['event'] = {
        'id': job['event']['id'],
        'type': event['type'],
        'rule': {'id': event['rule']} if event['rule'] is not None else None,
        'occurred': event['occurred'],
    }
    job['error'] = row.take_optional(ERROR)
    node_details, error_details = row.take(NODE_DETAILS), row.take(['created', 'last_modified'])
    if body['node'] is not None:
        body['node'].update(node_details)
    if body['error'] is not None:
        body['error'].update(error_details)
    return json.dumps(body, separators=(',', ':'), ensure_ascii=False).encode()


def finished_logs(cursor, pk):
    cursor.execute(f'SELECT {LIST_COLUMNS}, e.stdout, e.stderr {FROM} WHERE e.id = %s', [pk])
    values = cursor.fetchone()
    body = list_result(Row(values[:-2]))
    body.update(is_finished=body['status'] in ('FAILED', 'COMPLETED', 'CANCELED'), stdout=values[-2], stderr=values[-1])
    return json.dumps(body, separators=(',', ':'), ensure_ascii=False).encode()
