"""The UI in a real headless Chromium (Debian's), driven by Playwright, against the service on loopback.

The service runs in this process (Django's live-server thread, whitenoise serving the hashed assets), so a test
can stop and restart it, change settings, and write rows that the pages then read through the public API.
"""

import contextlib
import os
import shutil
import socket
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread

from conftest import free_port

CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
# Flags that work in containers and keep the browser off the network (see GUIDE.md).
CHROMIUM_FLAGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
]
# How long a test waits for what the user should see, in page actions and in `expect`: long enough for a
# 2-core machine running the suite and a browser, and a failure still arrives well before CI gives up.
WAIT_MS = 15000
SCREENSHOTS = Path(__file__).resolve().parents[2] / 'screenshots'


@pytest.fixture(scope='session')
def collected_static():
    """The assets under their hashed names, as `make test` and production have them."""
    call_command('collectstatic', interactive=False, verbosity=0)


@pytest.fixture(scope='module')
def browser(django_db_setup, django_db_blocker):
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: scripts/install-test-services installs Debian's chromium")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)  # its own default is 5 s, shorter than every page action's

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls that tests (and their
    # database fixtures) make between page actions are still plain synchronous calls.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv('DJANGO_ALLOW_ASYNC_UNSAFE', 'true')
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            yield browser
            browser.close()


@pytest.fixture
def page(browser, ui_server):
    context = browser.new_context(
        base_url=ui_server.url, accept_downloads=True, viewport={'width': 1400, 'height': 900}
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors = []
    page.on('pageerror', lambda error: errors.append(str(error)))
    page.errors = errors
    yield page
    context.close()
    assert not errors, f'the page threw: {errors}'


class ClosingServer(ThreadedWSGIServer):
    """Closing it also cuts the connections it is serving, as a process that exits does (a browser keeps its
    connections alive; Django's test server would go on answering them after it stopped listening)."""

    def __init__(self, *args, **kwargs):
        self.open_connections = set()
        # Restarted on the same port: the old one's connections may still be closing (TIME_WAIT).
        super().__init__(*args, **{**kwargs, 'allow_reuse_address': True})

    def process_request(self, request, client_address):
        self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        self.open_connections.discard(request)
        super().shutdown_request(request)

    # Closing waits for the requests under way, so none is left using the test's database afterwards.
    daemon_threads = False
    block_on_close = True

    def server_close(self):
        for connection in list(self.open_connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        super().server_close()


class ServiceThread(LiveServerThread):
    server_class = ClosingServer


class UiServer:
    """The service on a fixed loopback port, which a test may stop and start again (a restart)."""

    def __init__(self):
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.shared = [c for c in connections.all() if c.vendor == 'sqlite' and c.is_in_memory_db()]
        self.thread = None

    def start(self):
        # No static handler of its own: whitenoise, in the middleware, serves the assets as in production.
        self.thread = ServiceThread(
            '127.0.0.1',
            static_handler=lambda handler: handler,
            connections_override={c.alias: c for c in self.shared},
            port=self.port,
        )
        self.thread.daemon = True
        self.thread.start()
        self.thread.is_ready.wait()
        if self.thread.error:
            raise self.thread.error

    def stop(self):
        if self.thread is None:
            return
        self.thread.terminate()
        self.thread = None

    def restart(self):
        self.stop()
        self.start()


@pytest.fixture
def ui_settings(settings):
    settings.UI_REFRESH_SECONDS = 0.5
    settings.UI_LOG_POLL_SECONDS = 0.1
    settings.MESOS_AGENT_TIMEOUT = 0.5
    settings.LOGS_THROTTLE_RATE = '100000/min'
    settings.ALLOWED_HOSTS = ['127.0.0.1']
    return settings


@pytest.fixture
def ui_server(transactional_db, collected_static, ui_settings):
    server = UiServer()
    # In-memory SQLite is shared with the server's threads for as long as the test lasts, restarts included: a
    # request still finishing on a cut connection must not find it unshared.
    for connection in server.shared:
        connection.inc_thread_sharing()
    server.start()
    yield server
    server.stop()
    for connection in server.shared:
        connection.dec_thread_sharing()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(exist_ok=True)

    def save(page, name, full_page=False):
        path = SCREENSHOTS / f'{name}.png'
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save
