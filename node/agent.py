"""Reading files from a Mesos agent's sandbox through the agent's HTTP file endpoints.

A stored sandbox URL is data, not a licence to fetch anything: it must be a plain http(s) URL that names the
execution's own node (host and agent port), and even then only its sandbox path is taken from it. The address
fetched is built from the node row alone. Every fetch is bounded in time and in the bytes read.
"""

import functools
import ipaddress
import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import requests
import urllib3
from django.conf import settings
from prometheus_client import Counter, Histogram

from node.bounded_http import head_bounded_session

logger = logging.getLogger(__name__)

USER_AGENT = 'scale-job-execution-service'

# Headers too are read within the timeout in all, not only each wait for the next bytes.
_session = head_bounded_session()
_session.headers['User-Agent'] = USER_AGENT
# Agent calls go straight to the node: no proxies or .netrc credentials from the environment.
_session.trust_env = False
# Fetches run here so a request can wait for all of them at once and give up at a deadline.
_fetchers = ThreadPoolExecutor(max_workers=16, thread_name_prefix='agent-fetch')
# Bodies are read in pieces of at most this many bytes, checking the deadline after each.
_PIECE_BYTES = 64 * 1024


AGENT_FETCHES = Counter('scale_agent_fetches_total', 'Read calls to Mesos agents, by outcome.', ['outcome'])
AGENT_FETCH_SECONDS = Histogram(
    'scale_agent_fetch_duration_seconds',
    'Time of one read call to an agent, failures included.',
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class AgentError(Exception):
    """A sandbox file could not be read; the message says why."""


# Any of these in a stored URL means parsers may disagree on where its host ends (`http://a:1\\@b:2/` is b to
# urllib.parse and a to urllib3): such a URL is refused, never "cleaned".
_AMBIGUOUS = re.compile(r'[\\\s\x00-\x1f\x7f]')
_HOSTNAME = re.compile(r'[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?')


def check_agent_url(url, node):
    """Raise AgentError unless `url` is a plain http(s) URL on `node`'s host and agent port."""
    if not isinstance(url, str) or _AMBIGUOUS.search(url):
        raise AgentError('refusing a stored URL with backslashes, whitespace or control characters')
    try:
        parts = urlsplit(url)
        port = parts.port or {'http': 80, 'https': 443}.get(parts.scheme)
    except ValueError as error:
        raise AgentError(f'refusing a malformed stored URL: {error}')
    if parts.scheme not in ('http', 'https'):
        raise AgentError('refusing a stored URL that is not http or https')
    if '@' in parts.netloc:
        raise AgentError('refusing a stored URL with credentials in it')
    if node is None or (parts.hostname or '').lower() != node.hostname.lower() or port != node.port:
        raise AgentError(f"refusing a stored URL that is not on the execution's node: {redacted(url)}")


def agent_address(node):
    """`host:port` of `node`'s agent from the node row, IPv6 addresses bracketed; AgentError for a host that is
    neither a host name nor an IP address (the row is data too)."""
    hostname = node.hostname
    try:
        host = ipaddress.ip_address(hostname)
    except ValueError:
        if not _HOSTNAME.fullmatch(hostname):
            raise AgentError(f'node {node.pk} has a hostname that is not a host name: {hostname[:100]!r}')
        host = hostname
    if not 0 < node.port < 65536:
        raise AgentError(f'node {node.pk} has an agent port out of range: {node.port}')
    shown = f'[{host.compressed}]' if isinstance(host, ipaddress.IPv6Address) else str(host)
    return f'{shown}:{node.port}'


def read_url(url, node):
    """The `/files/read` URL, on `node`'s agent, of the sandbox file that the stored `url` names (its `path`)."""
    check_agent_url(url, node)
    parts = urlsplit(url)
    paths = parse_qs(parts.query).get('path')
    if not paths:
        raise AgentError(f'a stored URL names no sandbox file (no path parameter): {redacted(url)}')
    return urlunsplit((parts.scheme, agent_address(node), '/files/read', urlencode({'path': paths[-1]}), ''))


def redacted(url):
    """`url` for the server log: credentials replaced, cut to a sensible length."""
    if not isinstance(url, str):
        return repr(url)
    scheme, separator, rest = url.partition('://')
    if separator:
        authority_end = min((rest.find(char) for char in '/?#' if char in rest), default=len(rest))
        authority = rest[:authority_end]
        if '@' in authority:
            rest = '***@' + authority.rpartition('@')[2] + rest[authority_end:]
        url = scheme + separator + rest
    return url if len(url) <= 300 else url[:300] + '...'


def file_size(node, url, deadline):
    """The size in bytes of the sandbox file at `url` on `node`."""
    size = _read_call(node, url, -1, 0, deadline).get('offset')
    if type(size) is not int or size < 0:  # not isinstance: True is an int too
        raise AgentError(f'{url} answered a size that is not a byte count: {size!r}')
    return size


def read_range(node, url, offset, length, deadline):
    """Up to `length` bytes of the sandbox file at `url` from byte `offset`, fewer if the file ends sooner.

    The agent caps one read, so a range is read in several calls, all within `deadline`.
    """
    pieces, received = [], 0
    while received < length:
        wanted = length - received
        data = _read_data(_read_call(node, url, offset + received, wanted, deadline), offset + received, url)
        data = data[:wanted]  # an agent answering more than asked must not shift the bytes after these
        if not data:
            break
        pieces.append(data)
        received += len(data)
    return b''.join(pieces)


def read_file_tail(node, url, max_bytes, deadline):
    """(the last `max_bytes` bytes of the sandbox file at `url`, the file's size)."""
    size = file_size(node, url, deadline)
    start = max(0, size - max_bytes)
    return read_range(node, url, start, size - start, deadline), size


def read_tails(node, urls, max_bytes, timeout=None):
    """Read the tails of `urls` in parallel; each result is (bytes, size), or None where there is no URL or
    the read failed (logged)."""
    timeout = settings.MESOS_AGENT_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    futures = [url and _fetchers.submit(read_file_tail, node, url, max_bytes, deadline) for url in urls]
    return [future and _result_or_none(future, url, deadline) for future, url in zip(futures, urls)]


def _measured(call):
    """Count and time each call to an agent in the thread making it, so a call that outlives its caller counts."""

    @functools.wraps(call)
    def measured(*args, **kwargs):
        started, outcome = time.monotonic(), 'failed'
        try:
            result = call(*args, **kwargs)
            outcome = 'ok'
            return result
        finally:
            AGENT_FETCHES.labels(outcome).inc()
            AGENT_FETCH_SECONDS.observe(time.monotonic() - started)

    return measured


@_measured
def _read_call(node, url, offset, length, deadline):
    address = read_url(url, node)
    params = {'offset': offset, 'length': length}
    timeout = _time_left(url, deadline)
    try:
        # A redirect could lead anywhere: only the node's own answer counts (3xx is an agent error below).
        with _session.get(
            address,
            params=params,
            timeout=(timeout, timeout),
            stream=True,
            allow_redirects=False,
            auth=agent_credentials(),
        ) as response:
            if response.status_code == 401:
                raise AgentError(
                    f'{address} answered HTTP 401: the agent requires credentials; '
                    + (
                        "it refused MESOS_AGENT_PRINCIPAL's"
                        if agent_credentials()
                        else 'set MESOS_AGENT_PRINCIPAL and MESOS_AGENT_SECRET'
                    )
                )
            if response.status_code != 200:
                raise AgentError(f'{address} answered HTTP {response.status_code}')
            body = _body_by_deadline(response, address, deadline, answer_limit(length))
            return _json_object(body, address)
    except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
        raise AgentError(f'{address} could not be read: {error}')


def agent_credentials():
    """(principal, secret) for agents that require HTTP authentication, or None."""
    if settings.MESOS_AGENT_PRINCIPAL:
        return settings.MESOS_AGENT_PRINCIPAL, settings.MESOS_AGENT_SECRET
    return None


def answer_limit(length):
    """The most bytes an honest answer to a read of `length` bytes can take: each byte of the file may be sent
    as a six-character JSON escape (`\\u0001`), plus the braces, the offset and headroom."""
    return 6 * max(length, 0) + 4096


def _body_by_deadline(response, url, deadline, limit):
    """The answer's body (decompressed), given up at `deadline` or past `limit` bytes. The socket timeout only
    bounds each wait for the next bytes, so an agent that drips them would otherwise hold the call (and a
    follow's poll) for as long as it likes; one that sends more than was asked would fill the memory."""
    pieces, received = [], 0
    while piece := response.raw.read1(_PIECE_BYTES, decode_content=True):
        received += len(piece)
        if received > limit:
            raise AgentError(f'{url} answered more than {limit} bytes to a read of fewer')
        pieces.append(piece)
        _time_left(url, deadline)
    return b''.join(pieces)


def _time_left(url, deadline):
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise AgentError(f'{url} was not read within the time limit')
    return remaining


def _json_object(body, url):
    try:
        # The agent puts the file's raw bytes in the JSON string; surrogateescape gives back invalid ones exactly.
        answer = json.loads(body.decode('utf-8', 'surrogateescape'))
    except (ValueError, RecursionError) as error:  # RecursionError: arrays nested deeper than the stack
        raise AgentError(f'{url} answered something that is not JSON: {error}')
    if not isinstance(answer, dict):
        raise AgentError(f'{url} answered JSON that is not an object')
    return answer


def _read_data(answer, offset, url):
    """The file's bytes in a read answer, checked to be the bytes asked for."""
    data = answer.get('data')
    if not isinstance(data, str):
        raise AgentError(f'{url} answered a read without data')
    try:
        data = data.encode('utf-8', 'surrogateescape')
    except UnicodeEncodeError:  # an escaped lone surrogate such as \ud800 stands for no byte of any file
        raise AgentError(f"{url} answered data that are not a file's bytes")
    # Bytes from another offset would land at the wrong place in the stream.
    if data and answer.get('offset') != offset:
        raise AgentError(f'{url} answered bytes from offset {answer.get("offset")!r} when {offset} was asked')
    return data


def _result_or_none(future, url, deadline):
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()) + 0.1)
    except AgentError as error:
        log_fetch_failure(url, str(error))
    except FutureTimeout:
        log_fetch_failure(url, 'the agent was not read within the time limit')
    except Exception as error:  # an agent must never turn a logs request into a 500
        log_fetch_failure(url, f'unexpected failure reading the agent: {error!r}', exc_info=True)
    return None


def log_fetch_failure(url, reason, exc_info=False):
    """The detail of a failed read goes to the server log only (credentials in a stored URL redacted); clients
    get a fixed warning, so an answer never tells what a stored URL's address holds."""
    logger.warning(
        'Live log unavailable: %s',
        reason,
        exc_info=exc_info,
        extra={'event': 'agent_fetch_failed', 'url': redacted(url), 'reason': reason},
    )
