"""How much the serving process grows while a 200 MiB stored log and a 200 MiB sandbox file are read in full.

Run on PostgreSQL (the production database): scripts/with-postgres .venv/bin/python bench/log_memory.py [--mib 200]
It serves the app with runserver in a subprocess, reads each stream through the plain-text endpoint, checks
every byte arrived once, and prints the server's peak resident memory above its level before the read.
"""

import argparse
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'scale.settings')
os.environ.setdefault('SECRET_KEY', 'benchmark-only')
os.environ['LOGS_THROTTLE_RATE'] = '1000000/min'

# Multibyte characters, so byte offsets that fall inside them are exercised too.
LINE = 'bench log line with é, € and 😀 and some padding 0123456789 abcdefghijklmnopqrstuvwxyz\n'.encode()
SANDBOX_PATH = '/bench/executor/runs/latest/stdout'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--mib', type=int, default=200, help='size of each log in MiB')
    args = parser.parse_args()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != 'postgresql':
        sys.exit('Run it on PostgreSQL: scripts/with-postgres .venv/bin/python bench/log_memory.py')
    call_command('migrate', verbosity=0)
    repeats = args.mib * 1024 * 1024 // len(LINE)
    with tempfile.TemporaryDirectory() as sandbox:
        run_benchmark(Path(sandbox), repeats, args.mib)


def run_benchmark(sandbox, repeats, mib):
    from node.sandbox_agent import start_in_thread

    agent = start_in_thread(sandbox)
    write_sandbox_file(sandbox, repeats)
    stored_id, running_id = make_executions(repeats, agent.server_address[1])
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, 'manage.py', 'runserver', '--noreload', f'127.0.0.1:{port}'],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f'http://127.0.0.1:{port}/job-executions'
        wait_until_serving(f'{base}/{stored_id}/logs/stdout/?tail=1&limit=100')
        expected = expected_digest(repeats)
        print(f'Each log: {mib} MiB ({repeats * len(LINE):,} bytes); server pid {server.pid}')
        for label, url, how in [
            ('stored column, offset polling', f'{base}/{stored_id}/logs/stdout/', poll),
            ('stored column, one follow=true request', f'{base}/{stored_id}/logs/stdout/', follow),
            ('sandbox file, offset polling', f'{base}/{running_id}/logs/stdout/', poll),
        ]:
            measure(label, server.pid, lambda how=how, url=url: how(url, repeats * len(LINE)), expected)
        for label, execution_id in [('stored', stored_id), ('sandbox', running_id)]:
            measure_json(f'JSON /logs/ of the {label} log', server.pid, f'{base}/{execution_id}/logs/')
    finally:
        server.terminate()
        server.wait()
        agent.shutdown()


def write_sandbox_file(sandbox, repeats):
    path = sandbox / SANDBOX_PATH.lstrip('/')
    path.parent.mkdir(parents=True)
    with open(path, 'wb') as file:
        for start in range(0, repeats, 10_000):
            file.write(LINE * min(10_000, repeats - start))


def make_executions(repeats, agent_port):
    from django.db import connection

    from job.tests.factories import make_execution, make_node

    node = make_node(hostname='127.0.0.1', port=agent_port)
    stored = make_execution(status='COMPLETED', stdout='')
    url = f'http://127.0.0.1:{agent_port}/files/download.json?path={SANDBOX_PATH}'
    running = make_execution(status='RUNNING', node=node, stdout='', ended=None, current_stdout_url=url)
    with connection.cursor() as cursor:  # built in the database so the benchmark itself stays small
        cursor.execute('UPDATE job_exe SET stdout = repeat(%s, %s) WHERE id = %s', [LINE.decode(), repeats, stored.id])
    return stored.id, running.id


def expected_digest(repeats):
    digest = hashlib.sha256()
    for start in range(0, repeats, 10_000):
        digest.update(LINE * min(10_000, repeats - start))
    return digest.hexdigest()


def poll(url, size):
    """Read the stream with offset polling; (digest, bytes, requests)."""
    digest, received, offset, calls = hashlib.sha256(), 0, 0, 0
    with requests.Session() as session:
        while offset < size:
            response = session.get(url, params={'offset': offset}, timeout=60)
            calls += 1
            response.raise_for_status()
            digest.update(response.content)
            received += len(response.content)
            offset = int(response.headers['X-Log-Offset'])
    return digest.hexdigest(), received, calls


def follow(url, size):
    digest, received = hashlib.sha256(), 0
    with requests.get(url, params={'follow': 'true'}, stream=True, timeout=60) as response:
        for chunk in response.iter_content(1024 * 1024):
            digest.update(chunk)
            received += len(chunk)
    return digest.hexdigest(), received, 1


def measure(label, pid, read, expected):
    reset_peak(pid)
    before = status_kib(pid, 'VmRSS')
    started = time.monotonic()
    digest, received, calls = read()
    seconds = time.monotonic() - started
    growth = (status_kib(pid, 'VmHWM') - before) / 1024
    print(
        f'{label}: {received / 2**20:.0f} MiB in {calls} request(s), {seconds:.1f} s, '
        f'{"exact" if digest == expected else "BYTES DIFFER"}; server RSS {before / 1024:.1f} MiB before, '
        f'peak growth {growth:.1f} MiB'
    )


def measure_json(label, pid, url):
    """The JSON endpoint answers each stream's tail, capped at LOGS_JSON_MAX_BYTES."""
    reset_peak(pid)
    before = status_kib(pid, 'VmRSS')
    body = requests.get(url, timeout=60).json()
    growth = (status_kib(pid, 'VmHWM') - before) / 1024
    print(
        f'{label}: stdout tail of {len(body["stdout"].encode()) / 2**20:.1f} MiB, '
        f'stdout_truncated={body.get("stdout_truncated", False)}; peak growth {growth:.1f} MiB'
    )


def reset_peak(pid):
    # Writing 5 to clear_refs resets VmHWM (the peak resident size) to the current size.
    with open(f'/proc/{pid}/clear_refs', 'w') as file:
        file.write('5')


def status_kib(pid, field):
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith(field + ':'):
            return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/{pid}/status')


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def wait_until_serving(url):
    for _ in range(100):
        try:
            requests.get(url, timeout=5).raise_for_status()
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f'the server did not answer {url}')


if __name__ == '__main__':
    main()
