"""Gunicorn settings for production: `gunicorn -c scale/gunicorn.conf.py scale.wsgi` (or `make serve`).

The worker class is gthread: each worker process serves THREADS requests at once, so a slow agent read or a
long streamed log occupies one thread, not a whole process, and the worker's heartbeat (sent by its main
thread, not by the request threads) keeps the arbiter from killing a worker that is busy streaming.
"""

import os
import shutil
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from scale.env import env_int, env_str

# Loopback unless told otherwise: clients reach it through a buffering proxy (docs/operations.md), never directly.
bind = env_str('BIND', '127.0.0.1:8000')
worker_class = 'gthread'
workers = env_int('WEB_CONCURRENCY', os.cpu_count() or 1)
threads = env_int('GUNICORN_THREADS', 8)
# Each follow (logs with follow=true) holds a thread for minutes; at the limit, the others still serve requests.
_follows = env_int('LOGS_FOLLOW_MAX_CONCURRENT', 4)
if _follows >= threads:
    raise ImproperlyConfigured(
        f'LOGS_FOLLOW_MAX_CONCURRENT ({_follows}) must be below GUNICORN_THREADS ({threads}): followers would hold '
        'every thread of a worker.'
    )
# Only a worker whose main thread stops answering is restarted; request threads may run longer.
timeout = 30
graceful_timeout = 30
# Behind a load balancer idle keep-alive connections are reused; keep them a little longer than its probes.
keepalive = 5
# Recycle workers now and then so a slow leak in a library cannot grow without bound.
max_requests = 10000
max_requests_jitter = 1000
# One control socket per user home would be shared by every instance on a host; nothing here uses it.
control_socket_disable = True
# Access lines come from the app's own request log (one structured line with the request id).
accesslog = None
errorlog = '-'
# The load balancer is trusted to report the client's scheme (X-Forwarded-Proto).
forwarded_allow_ips = env_str('FORWARDED_ALLOW_IPS', '127.0.0.1')

# Every worker writes its metrics to files here; /metrics adds them up, whichever worker answers the scrape.
# prometheus_client decides when it is first imported whether to write those files, and workers inherit this
# process's modules: so nothing here imports it before the variable is set (scale/tests/test_metrics.py).
_made_metrics_dir = not os.environ.get('PROMETHEUS_MULTIPROC_DIR')
if _made_metrics_dir:
    os.environ['PROMETHEUS_MULTIPROC_DIR'] = tempfile.mkdtemp(prefix='scale-metrics-')
_metrics_dir = Path(os.environ['PROMETHEUS_MULTIPROC_DIR'])


def on_starting(server):
    """Metrics files of a previous run would be counted again. Only those go: the directory may be an operator's."""
    _metrics_dir.mkdir(parents=True, exist_ok=True)
    for metrics_file in _metrics_dir.glob('*.db'):
        metrics_file.unlink(missing_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess  # imported only once the variable above is set

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """A directory this process made for itself is its own to remove; an operator's is left alone."""
    if _made_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
