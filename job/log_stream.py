"""The logs of an execution as bytes: stored in the row once tasks end, on the agent's sandbox while a task runs.

A stream (stdout or stderr) is the stored column's UTF-8 bytes followed by the running task's sandbox file.
Scale appends a task's whole file to the column when the task ends, so offsets keep growing across tasks.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings

from job.selectors import stored_slice
from node.agent import AgentError, file_size, log_fetch_failure, read_range

logger = logging.getLogger(__name__)


@dataclass
class LogStream:
    """One stream of one execution: where its stored bytes end and which sandbox file continues it."""

    execution_id: int
    name: str
    stored_size: int
    is_finished: bool
    node: object = None
    live_url: str = None

    @classmethod
    def of(cls, execution, name):
        """The stream `name` of `execution`, a row from `job.selectors.stream_row`."""
        live_url = None if execution.is_finished else getattr(execution, f'current_{name}_url')
        return cls(execution.id, name, execution.stored_size or 0, execution.is_finished, execution.node, live_url)

    def read(self, offset, length, deadline):
        """(up to `length` bytes from `offset`, a warning if the live part could not be read, else None)."""
        data, wanted_stored = b'', min(length, max(0, self.stored_size - offset))
        if wanted_stored:
            data = stored_slice(self.execution_id, self.name, offset, wanted_stored)
        wanted_live = length - len(data)
        # Live bytes only follow a complete stored part, or they would land at the wrong offsets.
        if wanted_live <= 0 or not self.live_url or len(data) < wanted_stored:
            return data, None
        try:
            live = self._read_live(max(0, offset - self.stored_size), wanted_live, deadline)
            return (bytes(data) + live if data else live), None
        except AgentError as error:
            return data, self._unavailable(error)

    def _read_live(self, live_offset, length, deadline):
        """Bytes of the sandbox file from `live_offset`; AgentError if the file is now shorter than that."""
        # The byte before the offset comes along, so one call tells "nothing new yet" (that byte alone) from a
        # file that was truncated or rotated under the reader (nothing at all).
        start = max(0, live_offset - 1)
        data = read_range(self.node, self.live_url, start, length + live_offset - start, deadline)
        if live_offset and not data:
            raise FileShrunk(f"the task's file is shorter than offset {live_offset}: it was truncated or rotated")
        return data[live_offset - start :]

    def size(self, deadline):
        """(the stream's size in bytes as far as it can be read now, a warning or None)."""
        if not self.live_url:
            return self.stored_size, None
        try:
            return self.stored_size + file_size(self.node, self.live_url, deadline), None
        except AgentError as error:
            return self.stored_size, self._unavailable(error)

    def _unavailable(self, error):
        log_fetch_failure(self.live_url, str(error))
        return FileShrunk.warning if isinstance(error, FileShrunk) else UNAVAILABLE


# What a client is told when the live part could not be read: fixed texts, never the agent's answer or address.
UNAVAILABLE = 'live log unavailable: the agent could not be read; try again later'


class FileShrunk(AgentError):
    """The task's file is shorter than bytes already read from it."""

    warning = "live log unavailable: the task's file is shorter than the offset; it was truncated or rotated"


def agent_deadline():
    return time.monotonic() + settings.MESOS_AGENT_TIMEOUT
