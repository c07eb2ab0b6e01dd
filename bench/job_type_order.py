"""What an index in the list's order per job type would buy the pages of job type filters, at N executions.

A candidate, measured before building it (docs/performance.md, "Counts"): each execution's job type kept beside it,
with an index (job type, last_modified, id), so that a page of one job type walks that index instead of sorting all
of the type's executions. Here it is a side table copied once from the generated data (id, job type, status, node,
last_modified); bench/writers.py --job-type-column measures what keeping such a column costs Scale's writers.

Runs inside a throwaway PostgreSQL (scripts/with-postgres). For each case with a job type filter it times, alone and
in this process (median of --repeats after 3 warm-ups, alternated), the subquery that finds the page's ids in the
list's page statement: with the job types joined by name or category (as before the page filtered on their ids), as
the app sends it, with each row's job type looked up row by row instead of joined (no index needed), and along the
candidate index; it checks that all give the same ids. --explain prints their plans.
"""

import argparse
import functools
import re
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

import bench.run  # noqa: E402, F401 (first: it sets Django up)
from bench import dataset  # noqa: E402
from bench.cases import Case  # noqa: E402
from bench.counts import add_rare_job_type  # noqa: E402
from bench.run import alternate, statements_per_request  # noqa: E402
from job.views import JobExecutionViewSet  # noqa: E402

# (name, query): the cases of bench/counts.py with one job type (job type 5 is named type-3, in category vector).
CASES = (
    ('job_type_id', 'job_type_id=5'),
    ('job_type_name', 'job_type_name=type-3'),
    ('job_type_category', 'job_type_category=vector'),
    ('job_type_name & node_id', 'job_type_name=type-3&node_id=7'),
    ('status & job_type_id', 'status=FAILED&job_type_id=5'),
    ('job_type_id & node_id', 'job_type_id=5&node_id=7'),
    ('status & job_type_id & node_id', 'status=FAILED&job_type_id=5&node_id=7'),
    ('job_type_id, page 50 of 1000', 'job_type_id=5&page=50&page_size=1000'),
)

SIDE_TABLE = """
CREATE TABLE bench_execution_order AS
SELECT e.id, j.job_type_id, e.status, e.node_id, e.last_modified FROM job_exe e JOIN job j ON j.id = e.job_id;
CREATE INDEX bench_execution_order_type ON bench_execution_order (job_type_id, last_modified, id);
ANALYZE bench_execution_order;
"""


def page_ids_sql(statement):
    """The subquery of the page statement that finds the page's ids (`SELECT U0."id" ... LIMIT n`)."""
    found = re.search(r'IN \((SELECT U0\."id" .* LIMIT \d+(?: OFFSET \d+)?)\) ORDER BY', statement)
    return found.group(1)


def checked_per_row(sql):
    """The page ids' subquery with the job joined away: each execution's job type looked up row by row (a correlated
    subquery the planner cannot turn into a join), in the list's order, so PostgreSQL walks the ordering index and
    stops after the page. What a page could cost with no new index (nothing for writers to pay)."""
    join = re.search(r' INNER JOIN "job" (U\d) ON \(U0\."job_id" = U\d\."id"\)', sql)
    alias = join.group(1)
    sql = sql.replace(join.group(0), '').replace(
        f'{alias}."job_type_id"', '(SELECT j.job_type_id FROM job j WHERE j.id = U0."job_id")'
    )
    return re.sub(r'COALESCE\((U0\."\w+"), U0\."\w+"\)', r'\1', sql)


def job_type_ids(sql):
    """The job type ids the page filters on (what statement 1 selected)."""
    return re.search(r'"job_type_id" IN \(([0-9, ]+)\)', sql).group(1)


def explain(sql):
    with connection.cursor() as cursor:
        cursor.execute(f'EXPLAIN (ANALYZE, BUFFERS) {sql}')
        return '\n'.join(row[0] for row in cursor.fetchall())


def fetch(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--executions', type=int, default=1_000_000)
    parser.add_argument('--repeats', type=int, default=9)
    parser.add_argument('--explain', action='store_true', help='print the plans (EXPLAIN ANALYZE) to stderr')
    arguments = parser.parse_args()
    started = time.monotonic()
    call_command('migrate', verbosity=0)
    dataset.generate(arguments.executions)
    add_rare_job_type()
    dataset.analyze()
    prepared = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(SIDE_TABLE)
    print(
        f'{arguments.executions:,} executions generated in {prepared - started:.0f} s, side table and index built in '
        f'{time.monotonic() - prepared:.0f} s',
        file=sys.stderr,
    )
    print(
        '| case | ids | page ids, job types joined (before): median ms | as sent | job type checked per row '
        '| along (job type, last_modified, id) | same ids |'
    )
    print('|---|---|---|---|---|---|---|')
    for name, query in CASES:
        statements = statements_per_request(Case(name, f'/job-executions/?{query}'))
        if len(statements) < 2:  # nothing matched: no page to read
            print(f'| {name} | 0 | | | | | |')
            continue
        current = page_ids_sql(statements[-1])
        limit = re.search(r'LIMIT \d+(?: OFFSET \d+)?', current).group(0)
        conditions = f's.job_type_id IN ({job_type_ids(current)})'
        for column in ('status', 'node_id'):
            found = re.search(rf'U0\."{column}" IN \(([^)]*)\)', current)
            if found:
                conditions += f' AND s.{column} IN ({found.group(1)})'
        candidate = (
            f'SELECT s.id FROM bench_execution_order s WHERE {conditions} ORDER BY s.last_modified, s.id {limit}'
        )
        with mock.patch.object(JobExecutionViewSet, 'page_queryset', lambda view, queryset: queryset):
            before = page_ids_sql(statements_per_request(Case(name, f'/job-executions/?{query}'))[-1])
        variants = [before, current, checked_per_row(current), candidate]
        same = all(fetch(sql) == fetch(current) for sql in variants)
        medians = [
            statistics.median(times) * 1000
            for times in alternate([functools.partial(fetch, sql) for sql in variants], arguments.repeats)
        ]
        print(
            f'| {name} | {limit.removeprefix("LIMIT ")} | '
            + ' | '.join(f'{median:.1f}' for median in medians)
            + f' | {"yes" if same else "NO"} |'
        )
        if arguments.explain:
            for sql in variants:
                print(f'{name}:\n{explain(sql)}\n', file=sys.stderr)


if __name__ == '__main__':
    main()
