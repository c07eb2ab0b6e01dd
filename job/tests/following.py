"""Helpers for follow tests: a follow consumed in its own thread, as a server thread sends it, so it keeps
polling the agent while a test changes what the agent does; and waits on events rather than sleeps."""

import threading
import time

from django.db import OperationalError, connections
from prometheus_client import REGISTRY

# How long a test waits for something that should happen within a few polls. Generous: reaching it means the
# behaviour is broken, not that the machine is busy.
PATIENCE = 30


def wait_until(condition, what, timeout=PATIENCE):
    """Return once `condition()` is true; fail naming `what` if it is not within `timeout` seconds."""
    give_up = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < give_up, f'not within {timeout}s: {what}'
        time.sleep(0.01)


def failed_agent_calls():
    """Agent read calls that failed so far in this process (node.agent counts each one)."""
    return REGISTRY.get_sample_value('scale_agent_fetches_total', {'outcome': 'failed'}) or 0.0


def calls_from_now(count):
    """A function answering how many more `count()` is than now."""
    start = count()
    return lambda: count() - start


def while_followed(write):
    """Run `write()`, again if a follower's read holds the table: SQLite's shared in-memory test database locks
    whole tables and answers 'locked' at once rather than waiting (PostgreSQL never does)."""
    give_up = time.monotonic() + PATIENCE
    while True:
        try:
            return write()
        except OperationalError as error:
            if 'locked' not in str(error) or time.monotonic() > give_up:
                raise
            time.sleep(0.01)  # a retry after a refusal, not a wait for something to happen


class Follower:
    """Reads a streaming answer's chunks in a thread as they come; `received` is everything so far."""

    def __init__(self, response):
        self.received, self.finished, self.error = b'', False, None
        self._thread = threading.Thread(target=self._consume, args=(response,), name='follower', daemon=True)
        self._thread.start()

    def _consume(self, response):
        try:
            for chunk in response.streaming_content:
                self.received += chunk
        except Exception as error:  # reported by the waits, in the test's thread
            self.error = error
        finally:
            response.close()
            connections.close_all()  # this thread's own connections
            self.finished = True

    def wait_for(self, expected):
        """Wait until exactly `expected` has been received (more, or other bytes, fail at once)."""

        def arrived():
            assert expected.startswith(self.received), f'received {self.received!r}, expected {expected!r}'
            return self.received == expected

        self.wait_while_following(arrived, f'received {expected!r} (so far {self.received!r})')

    def wait_while_following(self, condition, what):
        """Wait until `condition()`; fail at once if the follow ends first."""

        def met():
            if condition():
                return True
            assert self.error is None, f'the follow failed: {self.error!r}'
            assert not self.finished, f'the follow ended before: {what}'
            return False

        wait_until(met, what)

    def wait_until_finished(self):
        """Wait until the follow ends; returns everything it sent."""
        wait_until(lambda: self.finished, 'the follow ended')
        assert self.error is None, f'the follow failed: {self.error!r}'
        return self.received
