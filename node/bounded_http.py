"""A requests session whose answers must bring their status line and headers within the read timeout in all.

requests' read timeout bounds each wait for the next bytes, so a peer that drips its headers could hold a call
for as long as it likes. Here a watchdog shuts the socket down when the whole head takes longer than that.
"""

import contextlib
import socket
import threading

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class _HeadWatchdog:
    """Mixin for urllib3 connections: getresponse() gives up once `timeout` seconds have passed in all."""

    def getresponse(self, *args, **kwargs):
        if not isinstance(self.timeout, (int, float)):  # no timeout asked for: nothing to watch
            return super().getresponse(*args, **kwargs)
        watchdog = threading.Timer(self.timeout, self._shut_down)
        watchdog.daemon = True
        watchdog.start()
        try:
            return super().getresponse(*args, **kwargs)
        finally:
            watchdog.cancel()

    def _shut_down(self):
        # shutdown, unlike close, wakes the thread blocked reading; it then fails as on a dropped connection.
        with contextlib.suppress(OSError, AttributeError):
            self.sock.shutdown(socket.SHUT_RDWR)


class _WatchedHTTPConnection(_HeadWatchdog, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_HeadWatchdog, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class HeadBoundedAdapter(requests.adapters.HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        # A new mapping, not an edit: the pool manager's own is urllib3's module-wide one.
        self.poolmanager.pool_classes_by_scheme = {'http': _WatchedHTTPPool, 'https': _WatchedHTTPSPool}


def head_bounded_session():
    session = requests.Session()
    for prefix in ('http://', 'https://'):
        session.mount(prefix, HeadBoundedAdapter())
    return session
