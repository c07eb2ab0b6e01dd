"""Reading files from a Mesos agent's sandbox through the agent's HTTP file endpoints.

A stored sandbox URL is data, not a licence to fetch anything: only http(s) URLs that point at the
execution's own node (host and agent port) are fetched, and every fetch is bounded in time.
"""
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlsplit

import requests
from django.conf import settings
from prometheus_client import Counter, Histogram

logger = logging.getLogger(__name__)

USER_AGENT = 'scale-job-execution-service'
_CHUNK_BYTES = 64 * 1024

_session = requests.Session()
_session.headers['User-Agent'] = USER_AGENT
# Fetches run here so a request can wait for all of them at once and give up at a deadline.
_fetchers = ThreadPoolExecutor(max_workers=16, thread_name_prefix='agent-fetch')


AGENT_FETCHES = Counter('scale_agent_fetches_total', 'Sandbox file reads from Mesos agents, by outcome.', ['outcome'])
AGENT_FETCH_SECONDS = Histogram(
    'scale_agent_fetch_duration_seconds', 'Time to read one sandbox file from an agent, failures included.',
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class AgentError(Exception):
    """A sandbox file could not be read; the message says why."""


def check_agent_url(url, node):
    """Raise AgentError unless `url` is an http(s) URL on `node`'s host and agent port."""
    try:
        parts = urlsplit(url)
        port = parts.port or {'http': 80, 'https': 443}.get(parts.scheme)
    except ValueError as error:
        raise AgentError(f'malformed URL {url!r}: {error}')
    if parts.scheme not in ('http', 'https'):
        raise AgentError(f'refusing {url!r}: only http and https are fetched')
    if node is None or (parts.hostname or '').lower() != node.hostname.lower() or port != node.port:
        raise AgentError(f'refusing {url!r}: it is not on the execution\'s node')


def download_file(url, deadline):
    """The whole file at `url` as text (invalid UTF-8 replaced), or AgentError if it is not read by `deadline`."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise AgentError(f'{url} was not read within the time limit')
    try:
        with _session.get(url, stream=True, timeout=(remaining, remaining)) as response:
            if response.status_code != 200:
                raise AgentError(f'{url} answered HTTP {response.status_code}')
            chunks = []
            for chunk in response.iter_content(_CHUNK_BYTES):
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise AgentError(f'{url} was not read within the time limit')
    except requests.RequestException as error:
        raise AgentError(f'{url} could not be read: {error}')
    return b''.join(chunks).decode('utf-8', errors='replace')


def download_files(node, urls, timeout=None):
    """Download `urls` from `node` in parallel; each result is the text, or None where it failed (logged)."""
    timeout = settings.MESOS_AGENT_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    futures = [_fetchers.submit(_checked_download, url, node, deadline) for url in urls]
    return [_result_or_none(future, url, deadline) for future, url in zip(futures, urls)]


def _checked_download(url, node, deadline):
    """Counted and timed here, in the fetching thread, so a read that outlives its caller is still measured."""
    started, outcome = time.monotonic(), 'failed'
    try:
        check_agent_url(url, node)
        text = download_file(url, deadline)
        outcome = 'ok'
        return text
    finally:
        AGENT_FETCHES.labels(outcome).inc()
        AGENT_FETCH_SECONDS.observe(time.monotonic() - started)


def _result_or_none(future, url, deadline):
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()) + 0.1)
    except AgentError as error:
        _log_failure(url, str(error))
    except FutureTimeout:
        _log_failure(url, f'{url} was not read within the time limit')
    except Exception as error:  # an agent must never turn a logs request into a 500
        _log_failure(url, f'unexpected failure reading {url}: {error!r}', exc_info=True)
    return None


def _log_failure(url, reason, exc_info=False):
    logger.warning('Live log unavailable: %s', reason, exc_info=exc_info,
                   extra={'event': 'agent_fetch_failed', 'url': url, 'reason': reason})
