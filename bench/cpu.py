"""The service's own work per request, which a busy machine does not inflate: CPU time and SQL time, per code tree.

For details and a keyset page in the middle of the table: the median CPU time of this process per request through
Django's test client (middleware, view, rendering and the driver; not time spent waiting for a CPU or for
PostgreSQL), and PostgreSQL's planning and execution time of the same statements (EXPLAIN ANALYZE). TREE is a
checkout of the project, so two versions of the code can be compared on one database, alternately: the wall-clock
ratios of answers of a few milliseconds move with the machine's load. For example, today's code against the code of
an older run (docs/performance.md, "Targets"):

    git archive da762e7 | (mkdir -p /tmp/old && tar -x -C /tmp/old)
    flock /tmp/bench.lock scripts/with-postgres sh -c '.venv/bin/python bench/cpu.py --prepare 1000000 &&
        for round in 1 2 3; do for tree in /tmp/old .; do .venv/bin/python bench/cpu.py $tree 1000000; done; done'
"""

import json
import logging
import os
import statistics
import sys
import time

PREPARE = sys.argv[1] == '--prepare'
TREE = os.path.abspath('.' if PREPARE else sys.argv[1])
EXECUTIONS = int(sys.argv[2])
sys.path.insert(0, TREE)
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'scale.settings')
os.environ.setdefault('SECRET_KEY', 'bench-only-secret-key')
os.environ.setdefault('DATABASE_STATEMENT_TIMEOUT', '0')
os.environ['ALLOWED_HOSTS'] = 'testserver'

import django  # noqa: E402

django.setup()
logging.disable(logging.CRITICAL)  # the request log would time the terminal

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from scale.pagination import encode_cursor  # noqa: E402

REQUESTS = 300


def paths():
    middle = EXECUTIONS // 2
    with connection.cursor() as cursor:
        cursor.execute('SELECT last_modified, id FROM job_exe WHERE id = %s', [middle])
        keys = cursor.fetchone()
    return {
        'details': f'/job-executions/{middle}/',
        'keyset page': f'/job-executions/?cursor={encode_cursor(keys, False)}',
    }


def get(client, path):
    response = client.get(path, HTTP_ACCEPT='application/json')
    assert response.status_code == 200, response.status_code


def cpu_per_request(client, path):
    for _ in range(20):
        get(client, path)
    samples = []
    for _ in range(REQUESTS):
        started = time.process_time()
        get(client, path)
        samples.append(time.process_time() - started)
    return statistics.median(samples)


def sql_times(client, path, repeats=100):
    """Median planning and execution time in ms of the request's statements, summed."""
    with CaptureQueriesContext(connection) as queries:
        get(client, path)
    planning, execution = [], []
    with connection.cursor() as cursor:
        for _ in range(repeats):
            plans = []
            for query in queries.captured_queries:
                cursor.execute('EXPLAIN (ANALYZE, FORMAT JSON) ' + query['sql'])
                plan = cursor.fetchone()[0]
                plans.append((json.loads(plan) if isinstance(plan, str) else plan)[0])
            planning.append(sum(plan['Planning Time'] for plan in plans))
            execution.append(sum(plan['Execution Time'] for plan in plans))
    return statistics.median(planning), statistics.median(execution), len(queries.captured_queries)


def prepare():
    from bench import dataset

    call_command('migrate', verbosity=0)
    dataset.generate(EXECUTIONS)
    dataset.analyze()


def main():
    if PREPARE:
        return prepare()
    client = Client()
    for name, path in paths().items():
        cpu = cpu_per_request(client, path)
        planning, execution, statements = sql_times(client, path)
        print(
            f'{TREE}: {name}: CPU {cpu * 1000:.2f} ms per request (median of {REQUESTS}); SQL planning '
            f'{planning:.2f} ms, execution {execution:.2f} ms ({statements} statements)',
            flush=True,
        )


if __name__ == '__main__':
    main()
