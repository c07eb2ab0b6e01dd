"""Throwaway PostgreSQL clusters on loopback for tests: a primary and its streaming replica.

PostgreSQL refuses to run as root, so as root the clusters belong to the `postgres` user.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def postgres_bin_dir():
    """The directory of initdb, pg_ctl and pg_basebackup, or None when PostgreSQL is not installed."""
    candidates = sorted(glob.glob('/usr/lib/postgresql/*/bin'), key=lambda path: int(path.split('/')[-2]))
    if shutil.which('pg_config'):
        candidates.append(subprocess.run(['pg_config', '--bindir'], capture_output=True, text=True).stdout.strip())
    found = [
        path
        for path in reversed(candidates)
        if all(os.access(f'{path}/{tool}', os.X_OK) for tool in ('initdb', 'pg_ctl', 'pg_basebackup'))
    ]
    return found[0] if found else None


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class Cluster:
    def __init__(self, bin_dir, data_dir, port):
        self.bin_dir, self.data_dir, self.port = bin_dir, Path(data_dir), port
        self.url = f'postgres://postgres@127.0.0.1:{port}/postgres'

    def run(self, tool, *args):
        command = [f'{self.bin_dir}/{tool}', *map(str, args)]
        if os.geteuid() == 0:
            command = ['runuser', '-u', 'postgres', '--', *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f'{tool} failed: {result.stdout}{result.stderr}')

    def initdb(self):
        self.run('initdb', '-D', self.data_dir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync')

    def start(self, *settings):
        options = ' '.join(
            [f'-p {self.port} -k {self.data_dir.parent}', '-c listen_addresses=127.0.0.1', '-c fsync=off', *settings]
        )
        self.run('pg_ctl', '-D', self.data_dir, '-l', f'{self.data_dir}.log', '-w', '-t', '60', '-o', options, 'start')

    def stop(self, mode='immediate'):
        self.run('pg_ctl', '-D', self.data_dir, '-m', mode, '-w', 'stop')


def make_workdir():
    """A directory the cluster owner can reach (pytest's own tmp directories are private to root)."""
    workdir = Path(tempfile.mkdtemp(prefix='scale-pg-'))
    if os.geteuid() == 0:
        shutil.chown(workdir, 'postgres')
    return workdir


def start_primary_and_replica(bin_dir, workdir):
    """A primary with WAL for streaming, and a hot standby cloned from it with pg_basebackup."""
    primary = Cluster(bin_dir, workdir / 'primary', free_port())
    primary.initdb()
    primary.start('-c wal_level=replica -c max_wal_senders=4')
    replica = Cluster(bin_dir, workdir / 'replica', free_port())
    primary.run(
        'pg_basebackup',
        '-h',
        '127.0.0.1',
        '-p',
        primary.port,
        '-U',
        'postgres',
        '-D',
        replica.data_dir,
        '-R',
        '-X',
        'stream',
        '--no-sync',
    )
    replica.start('-c hot_standby=on')
    return primary, replica


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError('condition not met in time')
        time.sleep(0.1)
