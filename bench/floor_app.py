"""The floors served over HTTP by the same gunicorn as the service, so both pay the same HTTP cost.

`/<n>` answers case n of bench.cases: one hand-written SQL query and json.dumps, with no framework in between.
"""

import os

import django

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'scale.settings')
django.setup()  # for the database connection settings only

from django.db import connection  # noqa: E402

from bench.cases import cases  # noqa: E402

CASES = cases(int(os.environ['BENCH_EXECUTIONS']))


def application(environ, start_response):
    with connection.cursor() as cursor:
        body = CASES[int(environ['PATH_INFO'].strip('/'))].floor(cursor)
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]
