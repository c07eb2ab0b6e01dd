"""The demo command feeds running executions' logs through the stand-in agent."""

import io

import pytest
from django.core.management import call_command

from job.models import JobExecution
from job.tests.factories import make_execution

pytestmark = pytest.mark.django_db


def test_running_executions_are_pointed_at_the_stand_in_and_their_files_grow(tmp_path):
    running = make_execution(status='RUNNING', ended=None)
    finished = make_execution(status='COMPLETED')
    call_command('demo_agent', root=str(tmp_path), port=0, interval=0, ticks=5, stdout=io.StringIO())
    running.refresh_from_db()
    assert running.node.hostname == '127.0.0.1'
    assert running.current_stdout_url.startswith(f'http://127.0.0.1:{running.node.port}/files/download.json?path=')
    path = running.current_stdout_url.split('path=')[1]
    lines = (tmp_path / path.lstrip('/')).read_text().splitlines()
    assert len(lines) == 5 and lines[-1].endswith('step 5 \x1b[32mdone ✓\x1b[0m')
    assert 'warning\x1b[0m: step 5' in (tmp_path / running.current_stderr_url.split('path=')[1].lstrip('/')).read_text()
    assert JobExecution.objects.get(pk=finished.pk).current_stdout_url is None
