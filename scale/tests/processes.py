"""Run Django in a separate process against a given database, as an operator would from a shell."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_django(database_url, *manage_args, code=None, **env):
    """`manage.py ARGS` (or the Python `code`, after django.setup()) with DATABASE_URL set; returns stdout."""
    command = (
        [sys.executable, '-c', f'import django; django.setup()\n{code}']
        if code
        else [sys.executable, 'manage.py', *manage_args]
    )
    environment = {**os.environ, 'DATABASE_URL': database_url, 'DJANGO_SETTINGS_MODULE': 'scale.settings', **env}
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout
