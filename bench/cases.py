"""The benchmark's cases: a path on the service and the floor that builds the same answer by hand."""

from django.db import connection

from bench import floor
from scale.pagination import encode_cursor

JOINED_TYPES = 'job_exe e JOIN job j ON j.id = e.job_id JOIN job_type t ON t.id = j.job_type_id'
# Lists filtered by nothing, or only by status, job type and node, are counted as the service counts them on
# PostgreSQL: a sum over the per-group counts. Others (the time range) by a scan, as the service does.
ALL_GROUPS = floor.group_count()


class Case:
    def __init__(self, name, path, floor=None, headers=None, compare=('count', 'results')):
        self.name, self.path, self.floor, self.headers, self.compare = name, path, floor, headers or {}, compare


def cases(executions):
    """The cases, with the data-dependent ids, page numbers and cursor looked up in the generated data."""
    middle = executions // 2
    with connection.cursor() as cursor:
        cursor.execute('SELECT last_modified, id FROM job_exe WHERE id = %s', [middle])
        middle_keys = cursor.fetchone()
        cursor.execute("SELECT min(id) FROM job_exe WHERE status = 'COMPLETED' AND id >= %s", [middle])
        finished = cursor.fetchone()[0]
    deep_page = max(1, executions // 100 // 2)
    week = ('2026-05-01T00:00:00Z', '2026-05-08T00:00:00Z')

    def page(
        where='TRUE', params=(), order='e.last_modified, e.id', tables='job_exe e', page=1, size=100, count=ALL_GROUPS
    ):
        def build(cursor):
            return floor.list_page(cursor, where, list(params), order, page, size, '', {}, count, tables)

        return build

    return [
        Case('default list', '/job-executions/', page()),
        Case('page_size=1000', '/job-executions/?page_size=1000', page(size=1000)),
        Case(
            'status=FAILED & job_type_name=type-3',
            '/job-executions/?status=FAILED&job_type_name=type-3',
            page(
                'e.status IN (%s) AND t.name IN (%s)',
                ['FAILED', 'type-3'],
                tables=JOINED_TYPES,
                count=floor.group_count(
                    'c.status = %s AND t.name = %s', ['FAILED', 'type-3'], 'JOIN job_type t ON t.id = c.job_type_id'
                ),
            ),
        ),
        Case(
            'time range (one week)',
            f'/job-executions/?started={week[0]}&ended={week[1]}',
            page(
                'e.last_modified >= %s AND e.last_modified <= %s',
                week,
                count=floor.scanned_count('job_exe e', 'e.last_modified >= %s AND e.last_modified <= %s', week),
            ),
        ),
        Case('order=-last_modified', '/job-executions/?order=-last_modified', page(order='e.last_modified DESC, e.id')),
        Case(f'deep page (page={deep_page})', f'/job-executions/?page={deep_page}', page(page=deep_page)),
        Case(
            'deep page (cursor at the middle row)',
            f'/job-executions/?cursor={encode_cursor(middle_keys, False)}',
            lambda cursor: floor.keyset_page(cursor, middle_keys, 100),
            compare=('results',),
        ),
        Case('details', f'/job-executions/{middle}/', lambda cursor: floor.details(cursor, middle), compare=None),
        Case(
            'finished logs',
            f'/job-executions/{finished}/logs/',
            lambda cursor: floor.finished_logs(cursor, finished),
            compare=None,
        ),
    ]
