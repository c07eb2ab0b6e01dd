"""The committed migrations describe the models exactly: nobody forgot a makemigrations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command('makemigrations', '--check', '--dry-run', verbosity=0)


def test_makemigrations_runs_bare_from_a_shell():
    """As a developer types it, with no DATABASE_URL or SECRET_KEY: settings that fail fast must not stop it."""
    environment = {key: value for key, value in os.environ.items() if key not in ('DATABASE_URL', 'SECRET_KEY')}
    result = subprocess.run(
        [sys.executable, 'manage.py', 'makemigrations', '--check', '--dry-run'],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert 'No changes detected' in result.stdout
