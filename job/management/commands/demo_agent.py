"""Serve the demo's live logs: the stand-in agent over `.run/sandbox`, and running executions whose logs grow.

For local development only (`make run`); the stand-in is not a Mesos agent.
"""

import itertools
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from job.models import JobExecution
from node.models import Node
from node.sandbox_agent import start_in_thread

HOST = '127.0.0.1'


class Command(BaseCommand):
    help = 'Start the stand-in agent and append lines to the logs of some running executions every second.'

    def add_arguments(self, parser):
        parser.add_argument('--executions', type=int, default=3, help='how many RUNNING executions to feed')
        parser.add_argument('--root', default=str(Path(settings.BASE_DIR) / '.run' / 'sandbox'))
        parser.add_argument('--port', type=int, default=5051, help='0 picks a free port')
        parser.add_argument('--interval', type=float, default=1.0, help='seconds between lines')
        parser.add_argument('--ticks', type=int, default=None, help='stop after this many lines (default: never)')

    def handle(self, *args, executions, root, port, interval, ticks, **options):
        server = start_in_thread(Path(root), HOST, port)
        port = server.server_address[1]
        try:
            files = point_executions_at_agent(Path(root), port, executions)
            self.stdout.write(
                f'Stand-in agent on http://{HOST}:{port} over {root}; feeding executions '
                f'{", ".join(str(pk) for pk in files) or "(none: no RUNNING execution)"}'
            )
            for tick in itertools.islice(itertools.count(1), ticks):
                append_lines(files, tick)
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
            server.server_close()


def point_executions_at_agent(root, port, count):
    """Make up to `count` RUNNING executions read their current task logs from the stand-in; return their files."""
    node, _ = Node.objects.update_or_create(hostname=HOST, defaults={'port': port, 'slave_id': 'demo-standin-agent'})
    files = {}
    for execution in JobExecution.objects.filter(status=JobExecution.Status.RUNNING).order_by('id')[:count]:
        sandbox = f'/demo/executions/{execution.id}/runs/latest'
        urls = {
            name: f'http://{HOST}:{port}/files/download.json?path={sandbox}/{name}' for name in ('stdout', 'stderr')
        }
        JobExecution.objects.filter(pk=execution.pk).update(
            node=node, current_stdout_url=urls['stdout'], current_stderr_url=urls['stderr']
        )
        directory = root / sandbox.lstrip('/')
        directory.mkdir(parents=True, exist_ok=True)
        files[execution.id] = {name: directory / name for name in ('stdout', 'stderr')}
        for path in files[execution.id].values():
            path.touch()
    return files


GREEN, YELLOW, RESET = '\x1b[32m', '\x1b[33m', '\x1b[0m'


def append_lines(files, tick):
    """A line a second, in colour as a terminal shows it; every tenth, a progress bar redrawn with carriage returns."""
    for execution_id, paths in files.items():
        stamp = time.strftime('%H:%M:%S')
        _append(paths['stdout'], f'{stamp} execution {execution_id}: step {tick} {GREEN}done ✓{RESET}\n')
        if tick % 10 == 0:
            bars = '\r'.join(f'upload [{"#" * n}{"." * (10 - n)}] {n * 10}%' for n in range(11))
            _append(paths['stdout'], f'{bars}\n')
        if tick % 5 == 0:
            _append(paths['stderr'], f'{stamp} {YELLOW}warning{RESET}: step {tick} was slow\n')


def _append(path, line):
    with open(path, 'a', encoding='utf-8') as file:
        file.write(line)
