"""`make bench-counts`: what lists with their exact count cost at N executions, for every combination of the filters
the per-group counts answer (job.counts), the default list, `page_size=1000`, a rare job type, and time ranges.

Runs inside a throwaway PostgreSQL (scripts/with-postgres): migrates, generates N executions (bench/dataset.py),
analyzes, serves with gunicorn as `make serve` does, and times each case over HTTP (median and p95 of --requests after
3 warm-ups). Each answer's `count` is checked against COUNT(*) of the same filters through the ORM (a scan). The
results are saved as JSON (--save); with --compare (the JSON of another size) each case gets the ratio between them,
and a case that listed fewer rows there (less than a page) is timed again with that many rows.
"""

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402

import bench.run  # noqa: E402, F401 (first: it sets Django up, which bench.cases needs)
from bench import dataset  # noqa: E402
from bench.cases import Case  # noqa: E402
from bench.run import get, machine, percentile, statements_per_request, timings  # noqa: E402 (sets Django up)
from bench.server import Gunicorn  # noqa: E402
from job.filtersets import JobExecutionFilterSet  # noqa: E402
from job.models import Job, JobExecution, JobType, JobTypeRevision  # noqa: E402

# One value per filter, chosen so that every combination selects some executions (job type 5 is named type-3 and
# is in category vector, see bench/dataset.py).
GROUP_FILTERS = (
    ('status', 'FAILED'),
    ('job_type_id', '5'),
    ('job_type_name', 'type-3'),
    ('job_type_category', 'vector'),
    ('node_id', '7'),
)


# A job type far rarer than the others: 60 executions spread over the whole year, all on node 7, a third failed. A
# walk along the ordering index would pass every execution to find them; its pages are found from the job instead.
RARE_EXECUTIONS = f"""
INSERT INTO job_exe (job_id, status, node_id, command_arguments, timeout, environment, requires_cleanup,
                     results_manifest, results, created, queued, last_modified)
SELECT %(job)s, CASE WHEN i %% 3 = 0 THEN 'FAILED' ELSE 'COMPLETED' END, 7, '--input rare', 1800, '{{}}', false,
       '{{}}', '{{}}', t, t, t
FROM (SELECT i, {dataset.END} - (i * 6 || ' days')::interval AS t FROM generate_series(1, 60) AS i) AS spread
"""
RARE_CASES = (
    ('rare job type', 'job_type_name=rare'),
    ('rare job type & node_id', 'job_type_name=rare&node_id=7'),
    ('status & rare job type', 'status=FAILED&job_type_name=rare'),
)


def add_rare_job_type():
    job_type = JobType.objects.create(name='rare', version='1.0')
    revision = JobTypeRevision.objects.create(job_type=job_type, revision_num=1)
    job = Job.objects.create(
        job_type=job_type, job_type_rev=revision, event_id=1, priority=100, timeout=1800, max_tries=3
    )
    with connection.cursor() as cursor:
        cursor.execute(RARE_EXECUTIONS, {'job': job.id})


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--executions', type=int, default=100_000)
    parser.add_argument('--requests', type=int, default=15, help='timed requests per case (after 3 warm-ups)')
    parser.add_argument('--save', help='write the results here as JSON (default: .run/counts-N.json)')
    parser.add_argument('--compare', help='JSON saved by a run at another size: print the ratio of each case')
    return parser.parse_args()


def queries(executions):
    """(name, query string) of every case. The time range holds the same 1,000 executions at any size."""
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT min(last_modified), max(last_modified) FROM job_exe WHERE id BETWEEN %s AND %s',
            [executions // 2, executions // 2 + 999],
        )
        start, end = (moment.isoformat().replace('+00:00', 'Z') for moment in cursor.fetchone())
    # The page 50,000 rows deep: the common lists' pages must not get slower for the rare combinations' sake.
    cases = [('default list', ''), ('page_size=1000', 'page_size=1000'), ('page 50 of 1000', 'page=50&page_size=1000')]
    for size in range(1, len(GROUP_FILTERS) + 1):
        for combination in itertools.combinations(GROUP_FILTERS, size):
            cases.append((' & '.join(name for name, _ in combination), urlencode(combination)))
    cases += [
        *RARE_CASES,
        ('time range (1,000 executions)', urlencode({'started': start, 'ended': end})),
        ('time range & status', urlencode({'started': start, 'ended': end, 'status': 'COMPLETED'})),
        ('time range & every group filter', urlencode({'started': start, 'ended': end, **dict(GROUP_FILTERS)})),
    ]
    return cases


def scanned_count(query):
    """COUNT(*) of the list's filters through the ORM: the rows counted, not the groups."""
    filterset = JobExecutionFilterSet(QueryDict(query), queryset=JobExecution.objects.all())
    assert filterset.is_valid(), filterset.errors
    return filterset.qs.count()


def measure(port, name, query, repeats):
    path = f'/job-executions/?{query}'
    status, body, _ = get(port, path)
    served = timings(lambda: get(port, path), repeats)
    answer = json.loads(body)
    count = answer['count']
    statements = statements_per_request(Case(name, path), host=f'127.0.0.1:{port}')
    return {
        'case': name,
        'path': path,
        'status': status,
        'count': count,
        'listed': len(answer['results']),
        'exact': count == scanned_count(query),
        'statements': len(statements),
        'median': statistics.median(served),
        'p95': percentile(served, 95),
        'statement_medians': [statement_median(sql, repeats) for sql in statements],
    }


def statement_median(sql, repeats):
    """One of the answer's SQL statements (as Django sent it) run alone in this process: the version with the count,
    then the page."""

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()

    return statistics.median(timings(run, repeats))


def table(rows, executions, compared=None):
    """Latency over HTTP, and each statement alone: 1 is the version with the count, 2 the page."""
    head = f'| case | count at {executions:,} | exact | median ms (statement 1 / 2) |'
    rule = '|---|---|---|---|'
    if compared:
        head += f' at {compared["executions"]:,}: median ms (statement 1 / 2) | ratio: answer, statement 1 |'
        rule += '---|---|'
        before = {row['case']: row for row in compared['rows']}
    lines = [head, rule]
    for row in rows:
        line = f'| {row["case"]} | {row["count"]:,} | {"yes" if row["exact"] else "NO"} | {timed(row)} |'
        if compared and row['case'] in before:
            other = before[row['case']]
            line += (
                f' {timed(other)} | {row["median"] / other["median"]:.2f}, '
                f'{row["statement_medians"][0] / other["statement_medians"][0]:.2f} |'
            )
        lines.append(line)
    return '\n'.join(lines)


def fewer_listed(rows, compared):
    """(case, query, rows listed) of the cases whose answer at the compared size listed fewer rows than here (a rare
    combination fills less than a page at 100,000): timed again here with that page size, so that both list as many
    rows and the ratio is what the table's size costs, not the length of the page."""
    before = {row['case']: row for row in compared['rows']}
    return [
        (row['case'], row['path'].split('?', 1)[1], before[row['case']]['listed'])
        for row in rows
        if row['case'] in before and 0 < before[row['case']].get('listed', row['listed']) < row['listed']
    ]


def same_rows_table(rows, compared):
    before = {row['case']: row for row in compared['rows']}
    lines = [
        f'| case | rows listed | median ms here (statement 1 / 2) | at {compared["executions"]:,} | ratio: answer |',
        '|---|---|---|---|---|',
    ]
    for row in rows:
        other = before[row['case']]
        lines.append(
            f'| {row["case"]} | {row["listed"]} | {timed(row)} | {timed(other)} | '
            f'{row["median"] / other["median"]:.2f} |'
        )
    return '\n'.join(lines)


def timed(row):
    statements = ' / '.join(f'{seconds * 1000:.1f}' for seconds in row['statement_medians'])
    return f'{row["median"] * 1000:.1f} ({statements})'


def main():
    arguments = parse_arguments()
    started = time.monotonic()
    call_command('migrate', verbosity=0)
    recount = dataset.generate(arguments.executions)
    add_rare_job_type()
    visible = dataset.analyze()
    preparation = time.monotonic() - started
    print(
        f'{arguments.executions:,} executions generated, counted per group in {recount:.1f} s, analyzed '
        f'(all-visible {visible:.0%}); {preparation:.0f} s in all',
        file=sys.stderr,
    )
    cases = queries(arguments.executions)
    compared = json.loads(Path(arguments.compare).read_text()) if arguments.compare else None
    connection.close()
    with Gunicorn() as server:
        rows = [measure(server.port, name, query, arguments.requests) for name, query in cases]
        same_rows = [
            measure(server.port, name, f'{query}&page_size={listed}', arguments.requests)
            for name, query, listed in (fewer_listed(rows, compared) if compared else [])
        ]
    with connection.cursor() as cursor:
        cursor.execute('SELECT count(*) FROM api_execution_count')
        groups = cursor.fetchone()[0]
    result = {
        'executions': arguments.executions,
        'machine': machine(),
        'preparation_seconds': preparation,
        'recount_seconds': recount,
        'group_rows': groups,
        'requests': arguments.requests,
        'rows': rows,
    }
    save = Path(arguments.save or f'.run/counts-{arguments.executions}.json')
    save.parent.mkdir(parents=True, exist_ok=True)
    save.write_text(json.dumps(result, indent=1))
    print(
        f'Measured {result["machine"]["date"]}, PostgreSQL {result["machine"]["postgres"]}, '
        f'{arguments.executions:,} executions in {groups:,} group rows (recounted in {recount:.1f} s), '
        f'{arguments.requests} requests per case:\n'
    )
    print(table(rows, arguments.executions, compared))
    if same_rows:
        print(
            f'\nAnswers that listed fewer rows at {compared["executions"]:,}, timed again with as many (`page_size`):\n'
        )
        print(same_rows_table(same_rows, compared))


if __name__ == '__main__':
    main()
