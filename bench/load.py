"""`make load`: 50 clients for 60 s on a mix of lists, details and logs, against the production gunicorn config.

Run inside a throwaway PostgreSQL (scripts/with-postgres sets DATABASE_URL): migrates, generates N executions with
bench/dataset.py, writes a wrk Lua script drawing from a fixed mix of paths, runs wrk on loopback and prints
throughput, latency percentiles and errors (non-2xx/3xx answers and socket errors).
"""

import argparse
import datetime
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'scale.settings')
os.environ.setdefault('SECRET_KEY', 'bench-only-secret-key')
# This process generates and vacuums a million rows, longer than a request may take; the server keeps the default.
os.environ['DATABASE_STATEMENT_TIMEOUT'] = '0'

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench import dataset  # noqa: E402
from bench.run import machine  # noqa: E402
from bench.server import PROJECT, free_port  # noqa: E402
from scale.pagination import encode_cursor  # noqa: E402

# Share of requests per kind; each kind draws its paths from the generated data.
MIX = {'list': 40, 'details': 30, 'json logs': 15, 'text logs': 15}
PATHS_IN_SCRIPT = 5000
# bench/dataset.py spreads executions over the year before 2026-11-01.
FIRST_DAY = datetime.datetime(2025, 11, 2, tzinfo=datetime.timezone.utc)

LUA = """-- Written by bench/load.py: each request is a path drawn at random from the mix.
local paths = {%(paths)s}
wrk.headers["Accept"] = "application/json"
local next_seed = 0

function setup(thread)
    next_seed = next_seed + 1
    thread:set("seed", next_seed)
end

function init(args)
    math.randomseed(seed)
end

function request()
    return wrk.format(nil, paths[math.random(#paths)])
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'LOAD_RESULT {"requests": %%d, "duration_us": %%d, "bytes": %%d, "connect": %%d, "read": %%d, ' ..
        '"write": %%d, "status": %%d, "timeout": %%d, "p50_us": %%d, "p90_us": %%d, "p99_us": %%d, ' ..
        '"max_us": %%d, "mean_us": %%d}\\n',
        summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--executions', type=int, default=1_000_000)
    parser.add_argument('--clients', type=int, default=50)
    parser.add_argument('--seconds', type=int, default=60)
    parser.add_argument('--warmup-seconds', type=int, default=5, help='an unrecorded run first, to fill caches')
    parser.add_argument('--workers', type=int, default=2, help="gunicorn's WEB_CONCURRENCY")
    parser.add_argument('--threads', type=int, default=8, help="gunicorn's GUNICORN_THREADS")
    return parser.parse_args()


def sample_rows(executions):
    """About 2,000 executions spread over the table: (id, last_modified, finished), in a repeatable draw."""
    percent = min(100.0, 200_000 / executions)
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT id, last_modified, status IN (%s, %s, %s) FROM job_exe '
            f'TABLESAMPLE BERNOULLI ({percent}) REPEATABLE (42)',
            ['COMPLETED', 'FAILED', 'CANCELED'],
        )
        return cursor.fetchall()


def list_path(draw, rows):
    """One of the list requests: filters, orders, pages by number, size and cursor."""
    start = FIRST_DAY + datetime.timedelta(days=draw.randrange(360))
    day = f'started={start:%Y-%m-%dT%H:%M:%SZ}&ended={start + datetime.timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}'
    execution_id, last_modified, _ = draw.choice(rows)
    cursor = quote(encode_cursor((last_modified, execution_id), False))
    return draw.choice(
        [
            '/job-executions/',
            '/job-executions/?status=FAILED',
            '/job-executions/?status=RUNNING',
            f'/job-executions/?job_type_name=type-{draw.randrange(1, 13)}',
            f'/job-executions/?status=COMPLETED&job_type_name=type-{draw.randrange(1, 13)}',
            '/job-executions/?job_type_category=raster',
            f'/job-executions/?node_id={draw.randrange(1, 41)}',
            f'/job-executions/?{day}',
            '/job-executions/?order=-last_modified',
            f'/job-executions/?page={draw.randrange(2, 21)}',
            '/job-executions/?page_size=500',
            '/job-executions/?pagination=cursor',
            f'/job-executions/?cursor={cursor}',
        ]
    )


def mixed_paths(rows, count=PATHS_IN_SCRIPT):
    """`count` paths in MIX's proportions. Logs are read for finished executions only: a running one's live
    log would be fetched from a Mesos agent, and the generated nodes are not real hosts."""
    draw = random.Random(42)
    finished = [row for row in rows if row[2]]
    makers = {
        'list': lambda: list_path(draw, rows),
        'details': lambda: f'/job-executions/{draw.choice(rows)[0]}/',
        'json logs': lambda: f'/job-executions/{draw.choice(finished)[0]}/logs/',
        'text logs': lambda: (
            f'/job-executions/{draw.choice(finished)[0]}/logs/{draw.choice(["stdout", "stderr"])}/'
            + draw.choice(['', '?tail=1000'])
        ),
    }
    kinds = draw.choices(list(MIX), weights=list(MIX.values()), k=count)
    return [makers[kind]() for kind in kinds]


def write_script(paths, directory):
    script = Path(directory) / 'mix.lua'
    script.write_text(LUA % {'paths': ', '.join(json.dumps(path) for path in paths)})
    return script


def start_server(port, arguments, log):
    """The committed production config, with the logs throttle out of the way: every wrk client is 127.0.0.1,
    one client to the throttle, which would otherwise turn the run into 429s."""
    environment = {
        **os.environ,
        'BIND': f'127.0.0.1:{port}',
        'WEB_CONCURRENCY': str(arguments.workers),
        'GUNICORN_THREADS': str(arguments.threads),
        'ALLOWED_HOSTS': '127.0.0.1',
        'DEBUG': 'false',
        'LOGS_THROTTLE_RATE': '100000000/min',
    }
    del environment['DATABASE_STATEMENT_TIMEOUT']  # the production default
    server = subprocess.Popen(
        [sys.executable, '-m', 'gunicorn', '-c', 'scale/gunicorn.conf.py', 'scale.wsgi'],
        cwd=PROJECT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_until_ready(server, port)
    return server


def wait_until_ready(server, port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError('gunicorn exited at start')
        try:
            probe = http.client.HTTPConnection('127.0.0.1', port, timeout=2)
            probe.request('GET', '/readyz')
            if probe.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError('gunicorn did not become ready')


def stop_server(server):
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, 9)
        server.wait()


def run_wrk(port, script, clients, seconds):
    """wrk with two threads (one per core here) and a 10 s timeout per request; returns done()'s figures."""
    command = [
        'wrk',
        '-t2',
        f'-c{clients}',
        f'-d{seconds}s',
        '--timeout',
        '10s',
        '-s',
        str(script),
        f'http://127.0.0.1:{port}',
    ]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith('LOAD_RESULT '))
    return json.loads(line.removeprefix('LOAD_RESULT '))


def request_kind(path):
    if '/logs/std' in path:
        return 'text logs'
    if path.endswith('/logs/'):
        return 'json logs'
    return 'details' if path.rstrip('/').split('/')[-1].isdigit() else 'list'


def read_server_log(server_log, offset):
    """From the server's request log past `offset` (the recorded run): answers per status, each kind's
    durations in ms (the server's share of the latency), and the count of ERROR lines."""
    statuses, durations, errors = {}, {kind: [] for kind in MIX}, 0
    with server_log.open() as log:
        log.seek(offset)
        for line in log:
            entry = json.loads(line) if line.startswith('{') else {}
            if entry.get('event') == 'request':
                statuses[entry['status']] = statuses.get(entry['status'], 0) + 1
                durations[request_kind(entry['path'])].append(entry['duration_ms'])
            errors += entry.get('level') == 'ERROR'
    return dict(sorted(statuses.items())), durations, errors


def percentiles(samples):
    ordered = sorted(samples) or [0]
    return '/'.join(f'{ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]:.0f}' for p in (50, 90, 99))


def report(result, arguments, paths, logged):
    seconds = result['duration_us'] / 1e6
    socket_errors = sum(result[kind] for kind in ('connect', 'read', 'write', 'timeout'))
    statuses, durations, errors = logged
    kinds = ', '.join(f'{share}% {kind}' for kind, share in MIX.items())
    return '\n'.join(
        [
            f'- {arguments.executions:,} executions; {arguments.clients} clients for {seconds:.0f} s; '
            f'gunicorn `scale/gunicorn.conf.py` with {arguments.workers} workers × {arguments.threads} threads',
            f'- mix: {kinds} ({len(set(paths)):,} distinct paths)',
            f'- requests: {result["requests"]:,} ({result["requests"] / seconds:,.0f}/s, '
            f'{result["bytes"] / seconds / 1e6:.1f} MB/s)',
            f'- latency: p50 {result["p50_us"] / 1000:.1f} ms, p90 {result["p90_us"] / 1000:.1f} ms, '
            f'p99 {result["p99_us"] / 1000:.1f} ms, max {result["max_us"] / 1000:.0f} ms',
            f'- errors: {result["status"]} non-2xx/3xx answers, {socket_errors} socket errors '
            f'(connect {result["connect"]}, read {result["read"]}, write {result["write"]}, '
            f'timeout {result["timeout"]})',
            f'- the server logged answers by status {statuses} and {errors} ERROR lines',
            '- time in the server per kind, p50/p90/p99 ms: '
            + ', '.join(f'{kind} {percentiles(samples)} ({len(samples):,})' for kind, samples in durations.items()),
        ]
    )


def prepare(executions):
    started = time.monotonic()
    call_command('migrate', verbosity=0)
    dataset.generate(executions)
    dataset.analyze()
    rows = sample_rows(executions)
    connection.close()
    return rows, time.monotonic() - started


def main():
    arguments = parse_arguments()
    if not shutil.which('wrk'):
        sys.exit('wrk is needed: apt-get install wrk')
    print(f'Generating {arguments.executions:,} executions...', file=sys.stderr)
    rows, preparation = prepare(arguments.executions)
    print(f'Prepared in {preparation:.0f} s', file=sys.stderr)
    paths = mixed_paths(rows)
    with tempfile.TemporaryDirectory(prefix='scale-load-') as directory:
        script, server_log = write_script(paths, directory), Path(directory) / 'server.log'
        port = free_port()
        with server_log.open('w') as log:
            server = start_server(port, arguments, log)
            try:
                if arguments.warmup_seconds:
                    run_wrk(port, script, arguments.clients, arguments.warmup_seconds)
                load_before, log_offset = os.getloadavg()[0], server_log.stat().st_size
                result = run_wrk(port, script, arguments.clients, arguments.seconds)
            finally:
                stop_server(server)
        print(report(result, arguments, paths, read_server_log(server_log, log_offset)))
    print(
        f'- machine: {json.dumps(machine())}; load average (1 min) before the run {load_before:.1f}, '
        f'at its end {os.getloadavg()[0]:.1f}'
    )


if __name__ == '__main__':
    main()
