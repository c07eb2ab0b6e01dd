"""Start-up refuses a configuration that is unsafe or malformed, naming the environment variable to fix."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start_up(**env):
    environment = {key: value for key, value in os.environ.items() if key not in ('SECRET_KEY', 'DEBUG')}
    environment.update(env)
    return subprocess.run(
        [sys.executable, '-c', 'import django; django.setup()'],
        cwd=ROOT, env={**environment, 'DJANGO_SETTINGS_MODULE': 'scale.settings'}, capture_output=True, text=True,
    )


@pytest.mark.parametrize('env, variable', [
    ({}, 'SECRET_KEY'),
    ({'SECRET_KEY': 'k', 'API_TOKENS': 'short'}, 'API_TOKENS'),
    ({'SECRET_KEY': 'k', 'READINESS_TIMEOUT': 'soon'}, 'READINESS_TIMEOUT'),
    ({'SECRET_KEY': 'k', 'CACHE_URL': 'memcached://cache:11211'}, 'CACHE_URL'),
    ({'SECRET_KEY': 'k', 'DATABASE_REPLICA_URLS': 'sqlite:///replica.db'}, 'DATABASE_REPLICA_URLS'),
])
def test_bad_configuration_stops_start_up_naming_the_variable(env, variable):
    result = start_up(**env)
    assert result.returncode != 0
    assert 'ImproperlyConfigured' in result.stderr and variable in result.stderr


def test_a_complete_configuration_starts():
    result = start_up(SECRET_KEY='k', API_TOKENS='a-token-of-sixteen-chars,another-long-token-1')
    assert result.returncode == 0, result.stderr
