"""Start-up refuses a configuration that is unsafe or malformed, naming the environment variable to fix."""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def start_up(**env):
    """Django set up in a new process with this environment (a None value removes the variable)."""
    environment = {key: value for key, value in os.environ.items() if key not in ('SECRET_KEY', 'DEBUG')}
    environment.update(env)
    environment = {key: value for key, value in environment.items() if value is not None}
    return subprocess.run(
        [sys.executable, '-c', 'import django; django.setup()'],
        cwd=ROOT,
        env={**environment, 'DJANGO_SETTINGS_MODULE': 'scale.settings'},
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    'env, variable',
    [
        ({}, 'SECRET_KEY'),
        ({'SECRET_KEY': 'k', 'API_TOKENS': 'short'}, 'API_TOKENS'),
        ({'SECRET_KEY': 'k', 'READINESS_TIMEOUT': 'soon'}, 'READINESS_TIMEOUT'),
        ({'SECRET_KEY': 'k', 'DATABASE_STATEMENT_TIMEOUT': '-1'}, 'DATABASE_STATEMENT_TIMEOUT'),
        ({'SECRET_KEY': 'k', 'CACHE_URL': 'memcached://cache:11211'}, 'CACHE_URL'),
        ({'SECRET_KEY': 'k', 'DATABASE_REPLICA_URLS': 'sqlite:///replica.db'}, 'DATABASE_REPLICA_URLS'),
        ({'SECRET_KEY': 'k', 'REQUIRE_API_TOKENS': 'true'}, 'REQUIRE_API_TOKENS'),
        ({'SECRET_KEY': 'k', 'REQUIRE_API_TOKENS': 'true', 'API_TOKENS': ''}, 'REQUIRE_API_TOKENS'),
        ({'SECRET_KEY': 'k', 'DATABASE_URL': None}, 'DATABASE_URL'),
        ({'SECRET_KEY': 'k', 'DEBUG': 'ture'}, 'DEBUG'),
        ({'SECRET_KEY': 'k', 'DATABASE_PREPARED_STATEMENTS': 'disabled'}, 'DATABASE_PREPARED_STATEMENTS'),
        ({'SECRET_KEY': 'k', 'LOG_LEVEL': 'LOUD'}, 'LOG_LEVEL'),
        ({'SECRET_KEY': 'k', 'MESOS_AGENT_PRINCIPAL': 'scale', 'MESOS_AGENT_SECRET': None}, 'MESOS_AGENT_SECRET'),
    ],
)
def test_bad_configuration_stops_start_up_naming_the_variable(env, variable):
    result = start_up(**env)
    assert result.returncode != 0
    assert 'ImproperlyConfigured' in result.stderr and variable in result.stderr


def test_debug_serves_the_sqlite_default_without_a_database_url():
    result = start_up(DEBUG='true', DATABASE_URL=None)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize('spelling, value', [('True', True), ('on', True), ('1', True), ('no', False), ('', True)])
def test_booleans_take_the_documented_spellings(spelling, value):
    code = 'from django.conf import settings; print(settings.DATABASE_PREPARED_STATEMENTS)'
    result = subprocess.run(
        [sys.executable, '-c', f'import django; django.setup(); {code}'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, 'DJANGO_SETTINGS_MODULE': 'scale.settings', 'DATABASE_PREPARED_STATEMENTS': spelling},
    )
    assert result.stdout.strip() == str(value), result.stderr


def gunicorn_config(**env):
    """The committed gunicorn configuration loaded as gunicorn loads it, in a new process."""
    code = (
        'from gunicorn.app.base import Application\n'
        'from gunicorn.config import Config\n'
        'app = Application.__new__(Application); app.cfg = Config()\n'
        'app.load_config_from_file("scale/gunicorn.conf.py"); print(app.cfg.threads)'
    )
    # A metrics directory of its own, or the configuration makes one in /tmp that no gunicorn exits to remove.
    with tempfile.TemporaryDirectory() as metrics:
        env = {**os.environ, 'PROMETHEUS_MULTIPROC_DIR': metrics, **env}
        return subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, env=env)


def test_gunicorn_refuses_a_follow_limit_that_would_hold_every_thread():
    result = gunicorn_config(GUNICORN_THREADS='4', LOGS_FOLLOW_MAX_CONCURRENT='4')
    assert result.returncode != 0
    assert 'LOGS_FOLLOW_MAX_CONCURRENT' in result.stderr and 'GUNICORN_THREADS' in result.stderr
    assert gunicorn_config(GUNICORN_THREADS='5', LOGS_FOLLOW_MAX_CONCURRENT='4').stdout.strip() == '5'


def test_gunicorn_reads_its_variables_through_the_validated_helpers():
    result = gunicorn_config(GUNICORN_THREADS='eight')
    assert result.returncode != 0 and 'GUNICORN_THREADS' in result.stderr


def test_a_complete_configuration_starts():
    result = start_up(SECRET_KEY='k', API_TOKENS='a-token-of-sixteen-chars,another-long-token-1')
    assert result.returncode == 0, result.stderr


def variables_read_by(path):
    return set(re.findall(r"""(?:os\.environ\.get|env_\w+|environ\.setdefault)\(\s*'([A-Z_]+)'""", path.read_text()))


def test_every_variable_read_is_in_the_example_and_the_operations_docs():
    read = variables_read_by(ROOT / 'scale/settings.py') | variables_read_by(ROOT / 'scale/gunicorn.conf.py')
    example = set(re.findall(r'^([A-Z_]+)=', (ROOT / '.env.example').read_text(), re.MULTILINE))
    documented = set(re.findall(r'^\| `([A-Z_]+)` \|', (ROOT / 'docs/operations.md').read_text(), re.MULTILINE))
    assert read - {'PROMETHEUS_MULTIPROC_DIR'} <= example
    assert read <= documented


def test_the_example_environment_starts():
    lines = (ROOT / '.env.example').read_text().splitlines()
    example = dict(line.split('=', 1) for line in lines if line and not line.startswith('#'))
    result = start_up(**{**example, 'DATABASE_URL': 'sqlite:///example.sqlite3'})
    assert result.returncode == 0, result.stderr


def load_the_application(**env):
    """Import the WSGI application as gunicorn does; its output (the JSON log) is returned."""
    environment = {key: value for key, value in os.environ.items() if key not in ('DEBUG', 'API_TOKENS')}
    result = subprocess.run(
        [sys.executable, '-c', 'import scale.wsgi'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**environment, 'DJANGO_SETTINGS_MODULE': 'scale.settings', 'SECRET_KEY': 'k', **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


@pytest.mark.parametrize(
    'env, warned',
    [
        ({}, True),
        ({'DEBUG': 'true'}, False),
        ({'API_TOKENS': 'a-token-of-sixteen-chars'}, False),
        ({'API_TOKENS': 'a-token-of-sixteen-chars', 'REQUIRE_API_TOKENS': 'true'}, False),
    ],
)
def test_an_open_api_in_production_is_a_warning_at_start_up(env, warned):
    assert ('"event": "api_open"' in load_the_application(**env)) == warned


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != 'postgresql', reason='session settings of PostgreSQL connections')
def test_postgresql_sessions_plan_without_parallel_workers_or_jit():
    with connection.cursor() as cursor:
        cursor.execute('SHOW max_parallel_workers_per_gather')
        assert cursor.fetchone()[0] == '0'
        cursor.execute('SHOW jit')
        assert cursor.fetchone()[0] == 'off'
        cursor.execute('SHOW statement_timeout')
        assert cursor.fetchone()[0] != '0'
