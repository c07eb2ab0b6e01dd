"""`make bench-memory`: a gunicorn worker serving page_size=1000 a thousand times, its RSS printed as it goes.

Run inside a throwaway PostgreSQL (scripts/with-postgres). Steady memory means nothing is kept per request.
"""

import argparse
import http.client
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'scale.settings')
os.environ.setdefault('SECRET_KEY', 'bench-only-secret-key')
# Generating and vacuuming a million rows takes longer than a request may: no statement timeout here.
os.environ.setdefault('DATABASE_STATEMENT_TIMEOUT', '0')

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench import dataset  # noqa: E402
from bench.server import Gunicorn, rss_kib  # noqa: E402


def fetch(port, path):
    client = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
    client.request('GET', path, headers={'Accept': 'application/json'})
    response = client.getresponse()
    size = len(response.read())
    client.close()
    return response.status, size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--executions', type=int, default=20_000)
    parser.add_argument('--requests', type=int, default=1000)
    parser.add_argument('--every', type=int, default=100, help='print RSS every this many requests')
    arguments = parser.parse_args()
    call_command('migrate', verbosity=0)
    dataset.generate(arguments.executions)
    dataset.analyze()
    connection.close()
    pages = max(1, arguments.executions // 1000)
    with Gunicorn() as server:
        worker = server.worker_pids()[0]
        print(f'worker {worker}: RSS before the first request {rss_kib(worker):,} KiB')
        for number in range(1, arguments.requests + 1):
            status, size = fetch(server.port, f'/job-executions/?page_size=1000&page={1 + number % pages}')
            assert status == 200, status
            if number in (1, 10) or number % arguments.every == 0:
                print(f'after {number:5} requests of ~{size:,} bytes: RSS {rss_kib(worker):,} KiB', flush=True)


if __name__ == '__main__':
    main()
