"""`make bench`: the job execution endpoints at N executions, over HTTP against gunicorn, next to their floor.

Run inside a throwaway PostgreSQL (scripts/with-postgres sets DATABASE_URL): migrates, generates the data with
set-based SQL, analyzes, starts gunicorn, then prints per case the median and p95 latency, SQL statements per
request, response bytes and the ratio to the floor (bench/floor.py), timed in the same run.
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'scale.settings')
os.environ.setdefault('SECRET_KEY', 'bench-only-secret-key')
# Generating and vacuuming a million rows takes longer than a request may: no statement timeout here.
os.environ.setdefault('DATABASE_STATEMENT_TIMEOUT', '0')
os.environ['ALLOWED_HOSTS'] = '127.0.0.1,testserver'

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench import dataset, report  # noqa: E402
from bench.cases import Case, cases  # noqa: E402
from bench.server import Gunicorn  # noqa: E402

# The size docs/performance.md's section reports; smaller runs print their results without replacing it.
DOCUMENTED_EXECUTIONS = 1_000_000


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--executions', type=int, default=DOCUMENTED_EXECUTIONS)
    parser.add_argument('--requests', type=int, default=30, help='timed requests per case (after 3 warm-ups)')
    parser.add_argument('--doc', help='write the results into this Markdown file, between the bench markers')
    return parser.parse_args()


def prepare(executions):
    started = time.monotonic()
    call_command('migrate', verbosity=0)
    dataset.generate(executions)
    visible = dataset.analyze()
    return time.monotonic() - started, visible


def revalidation_cases(port, executions):
    """304 cases: the current tag of the default list, of a cursor first page and of details."""
    return [
        Case(f'304 {name}', path, headers={'If-None-Match': get(port, path)[2]['etag']})
        for name, path in [
            ('default list', '/job-executions/'),
            ('cursor first page', '/job-executions/?pagination=cursor'),
            ('details', f'/job-executions/{executions // 2}/'),
        ]
    ]


def measure_revalidation(case, port, repeats):
    """The 304 and the full answer of the same path, timed alternately so both see the same machine."""
    status, _, _ = get(port, case.path, case.headers)
    revalidations, full_answers = alternate(
        [lambda: get(port, case.path, case.headers), lambda: get(port, case.path)], repeats
    )
    return {
        'case': case.name,
        'status': status,
        'bytes': 0,
        'path': case.path,
        'statements': len(statements_per_request(case, host=f'127.0.0.1:{port}')),
        'median': statistics.median(revalidations),
        'p95': percentile(revalidations, 95),
        'full': {'median': statistics.median(full_answers)},
    }


_connections = {}


def get(port, path, headers=None):
    """GET over one kept-alive connection per server, as a polling browser does; reconnects if the server closed it."""
    for attempt in range(2):
        connection_ = _connections.get(port) or http.client.HTTPConnection('127.0.0.1', port, timeout=120)
        _connections[port] = connection_
        try:
            connection_.request('GET', path, headers={'Accept': 'application/json', **(headers or {})})
            response = connection_.getresponse()
            body = response.read()
        except (http.client.RemoteDisconnected, ConnectionError):
            connection_.close()
            del _connections[port]
            if attempt:
                raise
            continue
        if response.will_close:
            connection_.close()
            del _connections[port]
        return response.status, body, {name.lower(): value for name, value in response.getheaders()}


def timings(action, repeats):
    return alternate([action], repeats)[0]


def alternate(actions, repeats):
    """Each action's durations, timed in turn request by request (after 3 warm-ups each), so that all of them see
    the same machine: on a shared machine the load changes within seconds."""
    for _ in range(3):
        for action in actions:
            action()
    samples = [[] for _ in actions]
    for _ in range(repeats):
        for action, durations in zip(actions, samples):
            started = time.perf_counter()
            action()
            durations.append(time.perf_counter() - started)
    return samples


def statements_per_request(case, host='testserver'):
    """Counted in this process with Django's test client, on the same database and code as the server."""
    headers = {'HTTP_' + name.upper().replace('-', '_'): value for name, value in case.headers.items()}
    with CaptureQueriesContext(connection) as queries:
        Client().get(case.path, HTTP_ACCEPT='application/json', HTTP_HOST=host, **headers)
    return [query['sql'] for query in queries.captured_queries]


def same_answer(case, served):
    with connection.cursor() as cursor:
        expected = json.loads(case.floor(cursor))
    actual = json.loads(served)
    keys = case.compare or expected.keys() | actual.keys()
    return all(expected.get(key) == actual.get(key) for key in keys)


def measure(case, port, repeats, floor_port=None, floor_index=None):
    status, body, _ = get(port, case.path, case.headers)
    actions = [lambda: get(port, case.path, case.headers)]
    if case.floor is not None:
        actions.append(lambda: get(floor_port, f'/{floor_index}'))
    served, *floor_times = alternate(actions, repeats)
    row = {
        'case': case.name,
        'status': status,
        'bytes': len(body),
        'path': case.path,
        'statements': len(statements_per_request(case, host=f'127.0.0.1:{port}')),
        'median': statistics.median(served),
        'p95': percentile(served, 95),
    }
    if case.floor is not None:
        with connection.cursor() as cursor:
            in_process = timings(lambda: case.floor(cursor), repeats)
        row.update(
            floor_median=statistics.median(floor_times[0]),
            floor_in_process=statistics.median(in_process),
            same_answer=same_answer(case, body),
        )
    return row


def percentile(samples, percent):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


def main():
    arguments = parse_arguments()
    print(f'Generating {arguments.executions:,} executions...', file=sys.stderr)
    preparation, visible = prepare(arguments.executions)
    print(f'Prepared in {preparation:.0f} s (all-visible pages: {visible:.0%})', file=sys.stderr)
    connection.close()
    benchmark_cases = cases(arguments.executions)
    floor_app = 'bench.floor_app:application'
    with Gunicorn() as server, Gunicorn(floor_app, BENCH_EXECUTIONS=str(arguments.executions)) as floors:
        rows = [
            measure(case, server.port, arguments.requests, floors.port, index)
            for index, case in enumerate(benchmark_cases)
        ]
        rows += [
            measure_revalidation(case, server.port, arguments.requests)
            for case in revalidation_cases(server.port, arguments.executions)
        ]
    text = report.markdown(rows, plans(arguments.executions), arguments, preparation, machine(), write_cost())
    print(text)
    if arguments.doc and arguments.executions != DOCUMENTED_EXECUTIONS:
        print(
            f'Not written into {arguments.doc}: its section is about {DOCUMENTED_EXECUTIONS:,} executions.',
            file=sys.stderr,
        )
    elif arguments.doc:
        report.write_into(Path(arguments.doc), text)


def write_cost(rounds=5, statements=400):
    """What the change-counting trigger (job/0004) adds to each write statement of Scale's: single-row UPDATEs of
    job_exe in autocommit, timed with the trigger and, alternately, with it disabled (the floor)."""
    timed = {True: [], False: []}
    with connection.cursor() as cursor:
        for _ in range(rounds):
            for enabled in (True, False):
                cursor.execute(f'ALTER TABLE job_exe {"ENABLE" if enabled else "DISABLE"} TRIGGER api_listed_change')
                started = time.perf_counter()
                for pk in range(1, statements + 1):
                    cursor.execute('UPDATE job_exe SET timeout = timeout WHERE id = %s', [pk])
                timed[enabled].append((time.perf_counter() - started) / statements)
        cursor.execute('ALTER TABLE job_exe ENABLE TRIGGER api_listed_change')
    return {
        'with': statistics.median(timed[True]),
        'without': statistics.median(timed[False]),
        'statements': rounds * statements,
    }


def plans(executions):
    """EXPLAIN of the statements each filter and order makes, as Django sent them."""
    explained = []
    for name, path in [
        ('default order', '/job-executions/'),
        ('order=-last_modified', '/job-executions/?order=-last_modified'),
        ('status', '/job-executions/?status=RUNNING'),
        ('job_type_id', '/job-executions/?job_type_id=5'),
        ('job_type_name', '/job-executions/?job_type_name=type-3'),
        ('job_type_category', '/job-executions/?job_type_category=system'),
        ('node_id', '/job-executions/?node_id=7'),
        ('status + job_type_name', '/job-executions/?status=FAILED&job_type_name=type-3'),
        ('started + ended', '/job-executions/?started=2026-05-01T00:00:00Z&ended=2026-05-08T00:00:00Z'),
        ('keyset page', '/job-executions/?pagination=cursor'),
    ]:
        with connection.cursor() as cursor:
            statements = []
            for sql in statements_per_request(Case(name, path)):
                cursor.execute('EXPLAIN (COSTS OFF) ' + sql)
                statements.append('\n'.join(line for (line,) in cursor.fetchall()))
        explained.append((name, path, statements))
    return explained


def machine():
    with connection.cursor() as cursor:
        cursor.execute('SHOW server_version')
        postgres = cursor.fetchone()[0]
    memory_kib = next(
        int(line.split()[1]) for line in Path('/proc/meminfo').read_text().splitlines() if line.startswith('MemTotal:')
    )
    cpu = next(
        (
            line.split(':', 1)[1].strip()
            for line in Path('/proc/cpuinfo').read_text().splitlines()
            if line.startswith('model name')
        ),
        platform.machine(),
    )
    return {
        'nproc': os.cpu_count(),
        'memory': f'{memory_kib / 1024 / 1024:.1f} GiB',
        'cpu': cpu,
        'postgres': postgres,
        'python': platform.python_version(),
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
    }


if __name__ == '__main__':
    main()
