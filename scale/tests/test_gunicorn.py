"""The committed gunicorn configuration starts the app and serves its static assets without a CDN."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def gunicorn_server(closed_port, tmp_path):
    env = {
        **os.environ,
        'BIND': f'127.0.0.1:{closed_port}',
        'WEB_CONCURRENCY': '1',
        'GUNICORN_THREADS': '2',
        'DATABASE_URL': f'sqlite:///{tmp_path / "db.sqlite3"}',
        'PROMETHEUS_MULTIPROC_DIR': str(tmp_path / 'metrics'),
    }
    server = subprocess.Popen(
        [sys.executable, '-m', 'gunicorn', '-c', 'scale/gunicorn.conf.py', 'scale.wsgi'],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f'http://127.0.0.1:{closed_port}'
    yield _wait_until_up(base, server)
    server.terminate()
    server.wait(timeout=30)


def _wait_until_up(base, server):
    for _ in range(100):
        if server.poll() is not None:
            pytest.fail(f'gunicorn exited: {server.stdout.read().decode()}')
        try:
            requests.get(base, timeout=1)
            return base
        except requests.ConnectionError:
            time.sleep(0.1)
    pytest.fail('gunicorn did not start within 10 s')


def test_gunicorn_serves_the_app_and_its_static_assets(gunicorn_server):
    missing = requests.get(f'{gunicorn_server}/no-such-endpoint/', timeout=5)
    assert missing.status_code == 404
    assert missing.json() == {'detail': 'Not found.'}
    css = requests.get(f'{gunicorn_server}/static/rest_framework/css/bootstrap.min.css', timeout=5)
    assert css.status_code == 200
    assert css.headers['Content-Type'].startswith('text/css')
