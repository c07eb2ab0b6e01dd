"""The committed gunicorn configuration starts the app, serves its static assets without a CDN, and keeps
answering while a request waits on a slow agent."""

import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from scale.tests.processes import run_django


def test_gunicorn_serves_the_app_and_its_static_assets(start_gunicorn):
    base = start_gunicorn()
    missing = requests.get(f'{base}/no-such-endpoint/', timeout=5)
    assert missing.status_code == 404
    assert missing.json() == {'detail': 'Not found.'}
    css = requests.get(f'{base}/static/rest_framework/css/bootstrap.min.css', timeout=5)
    assert css.status_code == 200
    assert css.headers['Content-Type'].startswith('text/css')
    swagger = requests.get(f'{base}/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js', timeout=5)
    assert swagger.status_code == 200


def running_execution_on_a_hanging_agent(database_url, agent_port):
    run_django(database_url, 'migrate', '--noinput')
    return int(
        run_django(
            database_url,
            code=(
                'from job.tests.factories import make_execution, make_node\n'
                f'node = make_node(hostname="127.0.0.1", port={agent_port})\n'
                f'url = "http://127.0.0.1:{agent_port}/files/download.json?path=/stdout"\n'
                'print(make_execution(status="RUNNING", ended=None, node=node,'
                ' current_stdout_url=url, current_stderr_url=url).id)'
            ),
        )
    )


def test_one_worker_keeps_answering_while_a_request_waits_on_an_agent(start_gunicorn, tmp_path):
    agent = socket.create_server(('127.0.0.1', 0))  # an agent that accepts and never answers
    database_url = f'sqlite:///{tmp_path / "busy.sqlite3"}'
    execution_id = running_execution_on_a_hanging_agent(database_url, agent.getsockname()[1])
    # One worker, two threads; the logs request waits on the agent until the test lets it go (closes it).
    base = start_gunicorn(DATABASE_URL=database_url, MESOS_AGENT_TIMEOUT='120')
    with agent, ThreadPoolExecutor(1) as background:
        slow = background.submit(requests.get, f'{base}/job-executions/{execution_id}/logs/', timeout=180)
        agent.settimeout(60)
        # The logs request now waits on the agent, for stdout and stderr at once.
        waiting = [agent.accept()[0], agent.accept()[0]]
        with waiting[0], waiting[1]:
            assert requests.get(f'{base}/healthz', timeout=60).status_code == 200
            assert not slow.done()
        assert slow.result().status_code == 200  # the agent hung up: the stored logs, at once


def test_gunicorn_listens_on_loopback_unless_told_otherwise(tmp_path):
    """An instance started without BIND is reachable only from its own host, where its proxy runs."""
    environment = {key: value for key, value in os.environ.items() if key != 'BIND'}
    environment['PROMETHEUS_MULTIPROC_DIR'] = str(tmp_path)
    read_bind = "import runpy; print(runpy.run_path('scale/gunicorn.conf.py')['bind'])"
    result = subprocess.run(
        [sys.executable, '-c', read_bind],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == '127.0.0.1:8000'
