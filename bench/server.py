"""The service as production runs it, for the benchmarks: gunicorn on loopback against the bench database."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class Gunicorn:
    """The production server (scale/gunicorn.conf.py: gthread, keep-alive) with one worker by default, started and
    stopped by this process."""

    def __init__(self, app='scale.wsgi:application', workers=1, **environment):
        self.port = free_port()
        environment = {
            **os.environ,
            'ALLOWED_HOSTS': '127.0.0.1',
            'DEBUG': 'false',
            'SECRET_KEY': os.environ.get('SECRET_KEY') or 'bench-only-secret-key',
            **environment,
        }
        command = [
            sys.executable,
            '-m',
            'gunicorn',
            '--config',
            'scale/gunicorn.conf.py',
            '--workers',
            str(workers),
            '--bind',
            f'127.0.0.1:{self.port}',
            '--log-level',
            'warning',
            app,
        ]
        self.process = subprocess.Popen(command, cwd=PROJECT, env=environment)
        self._wait_until_listening()

    def _wait_until_listening(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('gunicorn exited at start')
            try:
                socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError('gunicorn did not start listening')

    def worker_pids(self):
        children = Path(f'/proc/{self.process.pid}/task/{self.process.pid}/children').read_text().split()
        return [int(pid) for pid in children]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def rss_kib(pid):
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
    return None
