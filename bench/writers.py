"""`make bench-writers`: what the counts and the job type column (migrations job/0005 to job/0008) cost Scale's
writers, or with --index what an index on job_exe that one might add would cost them.

Runs inside a throwaway PostgreSQL (scripts/with-postgres). Generates N executions, then 8 writer processes, each
with its own connection in autocommit as Scale's scheduler holds them, run a Scale-like mix for a few seconds:
single-row status updates (an execution starts, finishes, fails), multi-row updates (20 neighbouring executions
canceled or requeued at once) and bulk inserts of 50 queued executions. Rounds alternate between the database as
migrated (triggers enabled, the indexes of job/0006 and job/0007 present, job/0008's dropped) and as it was before
those migrations (the floor; the change-counting trigger of job/0004 stays on in both), and the statements per
second of each round are printed, with the ratio of the medians.
"""

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'scale.settings')
os.environ.setdefault('SECRET_KEY', 'bench-only-secret-key')
os.environ.setdefault('DATABASE_STATEMENT_TIMEOUT', '0')

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench import dataset  # noqa: E402
from job.counts import TRIGGERS, missing_triggers  # noqa: E402
from job.models import JobExecution  # noqa: E402

STATUSES = ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELED')

SINGLE_ROW = 'UPDATE job_exe SET status = %s, node_id = %s, last_modified = now() WHERE id = %s'
MULTI_ROW = 'UPDATE job_exe SET status = %s, last_modified = now() WHERE id BETWEEN %s AND %s'
BULK_INSERT = """
INSERT INTO job_exe (job_id, status, command_arguments, timeout, environment, requires_cleanup, results_manifest,
                     results, created, queued, last_modified)
SELECT %s, 'QUEUED', '--input x', 1800, '{}', false, '{}', '{}', now(), now(), now() FROM generate_series(1, 50)
"""


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--executions', type=int, default=1_000_000)
    parser.add_argument('--writers', type=int, default=8)
    parser.add_argument('--seconds', type=float, default=10, help='length of one round')
    parser.add_argument('--rounds', type=int, default=3, help='rounds each way, alternating')
    parser.add_argument(
        '--index',
        help='columns of an index on job_exe to measure instead of the triggers (which then stay on): "status, node_id"',
    )
    return parser.parse_args()


def write(seed, executions, jobs, nodes, deadline, results):
    """One writer: the mix (8 single-row updates : 1 multi-row update : 1 bulk insert) until the deadline."""
    rng = random.Random(seed)
    raw = connection.get_new_connection(connection.get_connection_params())
    raw.autocommit = True
    done = failed = 0
    with raw.cursor() as cursor:
        while time.monotonic() < deadline:
            pick = rng.random()
            try:
                if pick < 0.8:
                    cursor.execute(
                        SINGLE_ROW, [rng.choice(STATUSES), rng.randint(1, nodes), rng.randint(1, executions)]
                    )
                elif pick < 0.9:
                    first = rng.randint(1, executions - 20)
                    cursor.execute(MULTI_ROW, [rng.choice(('CANCELED', 'QUEUED')), first, first + 19])
                else:
                    cursor.execute(BULK_INSERT, [rng.randint(1, jobs)])
                done += 1
            except Exception:  # a deadlock between two multi-row updates: Scale would retry; counted apart
                failed += 1
    raw.close()
    results.put((done, failed))


def round_throughput(enabled, arguments, jobs, nodes):
    if arguments.index:
        set_index('bench_measured_index', arguments.index, enabled)
    else:
        set_added(enabled)
    results = multiprocessing.Queue()
    deadline = time.monotonic() + arguments.seconds
    writers = [
        multiprocessing.Process(target=write, args=(seed, arguments.executions, jobs, nodes, deadline, results))
        for seed in range(arguments.writers)
    ]
    connection.close()  # forked writers must not share this connection
    started = time.monotonic()
    for writer in writers:
        writer.start()
    outcomes = [results.get() for _ in writers]
    elapsed = time.monotonic() - started
    for writer in writers:
        writer.join()
    return sum(done for done, _ in outcomes) / elapsed, sum(failed for _, failed in outcomes)


def set_triggers(enabled):
    with connection.cursor() as cursor:
        for table, trigger in TRIGGERS:
            cursor.execute(f'ALTER TABLE {table} {"ENABLE" if enabled else "DISABLE"} TRIGGER {trigger}')


def set_index(name, columns, present):
    with connection.cursor() as cursor:
        if present:
            cursor.execute(f'CREATE INDEX IF NOT EXISTS {name} ON job_exe ({columns})')
        else:
            cursor.execute(f'DROP INDEX IF EXISTS {name}')


def declared_index(name):
    """(name, columns) of one of the model's indexes, as set_index takes them."""
    (index,) = [index for index in JobExecution._meta.indexes if index.name == name]
    return name, ', '.join(JobExecution._meta.get_field(field).column for field in index.fields)


# The indexes the counts' migrations add (job/0006, job/0007), and the one they make useless (job/0008).
ADDED_INDEXES = tuple(map(declared_index, ('job_exe_status_node_modified', 'job_exe_type_modified_id')))
REMOVED_INDEXES = (('job_exe_status_job', 'status, job_id'),)


def set_added(present):
    """The counts and the job type column as migrated (`present`), or the database as it was before them."""
    set_triggers(present)
    for index in ADDED_INDEXES:
        set_index(*index, present)
    for index in REMOVED_INDEXES:
        set_index(*index, not present)


def main():
    arguments = parse_arguments()
    started = time.monotonic()
    call_command('migrate', verbosity=0)
    dataset.generate(arguments.executions)
    dataset.analyze()
    with connection.cursor() as cursor:
        cursor.execute('SELECT max(id) FROM job')
        jobs = cursor.fetchone()[0]
        cursor.execute('SELECT max(id) FROM node')
        nodes = cursor.fetchone()[0]
    print(f'{arguments.executions:,} executions generated in {time.monotonic() - started:.0f} s', file=sys.stderr)
    if arguments.index:
        measured = f'index ({arguments.index})'
    else:
        measured = 'the counts and the job type column'
    rates = {True: [], False: []}
    for _ in range(arguments.rounds):
        for enabled in (False, True):
            rate, failed = round_throughput(enabled, arguments, jobs, nodes)
            rates[enabled].append(rate)
            print(
                f'{measured} {"on " if enabled else "off"}: {rate:,.0f} statements/s ({failed} deadlocked)',
                file=sys.stderr,
            )
    set_added(True)
    assert not missing_triggers('default')
    # Not recounted: writes made while the triggers were off left the counts and job types of a throwaway database
    # behind (as after a restore), and recounting them would take longer than the measurement.
    on, off = statistics.median(rates[True]), statistics.median(rates[False])
    print(
        f'{arguments.writers} writers, {arguments.rounds} rounds of {arguments.seconds:.0f} s each way, '
        f'{arguments.executions:,} executions: with {measured} {on:,.0f} statements/s, '
        f'without {off:,.0f}: {on / off:.0%} of the throughput without.'
    )
    print('rounds with:    ' + ', '.join(f'{rate:,.0f}' for rate in rates[True]))
    print('rounds without: ' + ', '.join(f'{rate:,.0f}' for rate in rates[False]))


if __name__ == '__main__':
    main()
