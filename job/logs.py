"""The logs of an execution as bytes: stored in the row once tasks end, on the agent's sandbox while a task runs.

A stream (stdout or stderr) is the stored column's UTF-8 bytes followed by the running task's sandbox file.
Scale appends a task's whole file to the column when the task ends, so offsets keep growing across tasks.
"""
import logging
import time
from dataclasses import dataclass

import orjson
from django.conf import settings
from django.db.models import BigIntegerField, BinaryField, Case, Func, Value, When
from django.db.models.functions import Greatest

from job.models import JobExecution
from job.utf8 import decode, skip_partial_start
from node.agent import AgentError, file_size, log_fetch_failure, read_range, read_tails

logger = logging.getLogger(__name__)

STREAMS = ('stdout', 'stderr')


class OctetLength(Func):
    """The size in bytes of a text column (NULL stays NULL)."""
    function = 'OCTET_LENGTH'
    output_field = BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template='LENGTH(CAST(%(expressions)s AS BLOB))', **extra_context)


class Utf8Bytes(Func):
    """A text column as its UTF-8 bytes, so that SUBSTR counts bytes rather than characters."""
    template = "CONVERT_TO(%(expressions)s, 'UTF8')"
    output_field = BinaryField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template='CAST(%(expressions)s AS BLOB)', **extra_context)


def byte_slice(column, start, length=None):
    """SQL for the bytes of text `column` from 0-based byte `start` (an int or expression), `length` of them."""
    args = [Utf8Bytes(column), start + 1] + ([] if length is None else [Value(length)])
    return Func(*args, function='SUBSTR', output_field=BinaryField())


def byte_tail(column, max_bytes):
    """SQL for the last `max_bytes` bytes of text `column`."""
    return byte_slice(column, Greatest(OctetLength(column) - max_bytes, Value(0)))


def stored_slice(execution_id, column, offset, length):
    """Bytes `offset` to `offset + length` of the stored `column`, read in SQL so the rest never leaves the DB."""
    value = (JobExecution.objects.filter(pk=execution_id)
             .values_list(byte_slice(column, Value(offset), length), flat=True).first())
    # A view, not a copy: these slices are megabytes, and the answer is built from them once more anyway.
    return memoryview(value).cast('B') if value else b''


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
        """The stream `name` of `execution`, a row loaded with `LogStream.annotations(name)`."""
        live_url = None if execution.is_finished else getattr(execution, f'current_{name}_url')
        return cls(execution.id, name, execution.stored_size or 0, execution.is_finished, execution.node, live_url)

    @staticmethod
    def annotations(name):
        return {'stored_size': OctetLength(name)}

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
            raise FileShrunk(f'the task\'s file is shorter than offset {live_offset}: it was truncated or rotated')
        return data[live_offset - start:]

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
    warning = 'live log unavailable: the task\'s file is shorter than the offset; it was truncated or rotated'


def agent_deadline():
    return time.monotonic() + settings.MESOS_AGENT_TIMEOUT


# The JSON logs endpoint: whole streams, but never more than a cap of each in memory.

def capped_log_annotations(max_bytes):
    """Stored sizes of both streams, and for finished executions their tails: then one query answers them."""
    finished = JobExecution.FINAL_STATUSES
    annotations = {}
    for name in STREAMS:
        annotations[f'{name}_size'] = OctetLength(name)
        annotations[f'{name}_tail'] = Case(When(status__in=finished, then=byte_tail(name, max_bytes)),
                                           output_field=BinaryField())
    return annotations


def with_capped_logs(execution, max_bytes):
    """Set `execution.stdout`/`stderr` to the last `max_bytes` bytes of each stream, live part included.

    The row holds the logs of the tasks that already ended; the current task's are only on the agent, read
    by range. If the agent cannot be read, the stored logs are answered as they are. `<name>_truncated` is
    set when a stream was cut.
    """
    live = [None, None]
    urls = [execution.current_stdout_url, execution.current_stderr_url]
    if not execution.is_finished and any(urls):
        live = read_tails(execution.node, urls, max_bytes)
    if not execution.is_finished:
        _load_stored_tails(execution, live, max_bytes)
    for name, live_tail in zip(STREAMS, live):
        _set_capped_stream(execution, name, live_tail, max_bytes)
    return execution


def _load_stored_tails(execution, live, max_bytes):
    """Fetch only as much of each stored column as the live tail leaves room for under the cap.

    Read after the live tails: a task that ended in between has its bytes in the column now and its URL changed,
    so its live part is dropped rather than answered twice.
    """
    rooms = {name: max_bytes - (len(tail[0]) if tail else 0) for name, tail in zip(STREAMS, live)}
    tails = {f'{name}_tail': byte_tail(name, max(room, 0)) for name, room in rooms.items()}
    sizes = {f'{name}_size': OctetLength(name) for name in STREAMS}
    urls = [f'current_{name}_url' for name in STREAMS]
    values = JobExecution.objects.filter(pk=execution.pk).values(*urls, **tails, **sizes).first() or {}
    for index, name in enumerate(STREAMS):
        setattr(execution, f'{name}_tail', values.get(f'{name}_tail'))
        setattr(execution, f'{name}_size', values.get(f'{name}_size'))
        if values.get(f'current_{name}_url') != getattr(execution, f'current_{name}_url'):
            live[index] = None


def _set_capped_stream(execution, name, live_tail, max_bytes):
    stored_tail, stored_size = getattr(execution, f'{name}_tail'), getattr(execution, f'{name}_size')
    live_bytes, live_size = live_tail if live_tail else (b'', 0)
    if stored_size is None and live_tail is None:  # a NULL column stays null, as Scale answers it
        setattr(execution, name, None)
        return
    setattr(execution, f'{name}_tail', None)  # the bytes are let go as soon as they are text
    joined = bytes(stored_tail) + live_bytes if stored_tail and live_bytes else stored_tail or live_bytes
    data = memoryview(joined).cast('B')
    data = data[-max_bytes:] if len(data) > max_bytes else data
    truncated = (stored_size or 0) + live_size > len(data)
    if truncated:
        data = data[skip_partial_start(data):]
    text, cut = json_tail(decode(data), max_bytes)
    setattr(execution, name, text)
    setattr(execution, f'{name}_truncated', truncated or cut)


# Characters measured at once when finding where a JSON tail starts: small enough that the escaped block is small.
_MEASURED_CHARACTERS = 4096


def json_tail(text, max_bytes):
    """(the longest end of `text` whose JSON string takes at most `max_bytes` bytes, whether it was cut).

    Bytes and JSON differ: a control character is six bytes as `\\u0001`, a quote or backslash two, and an
    invalid byte three once replaced by U+FFFD. Measured block by block from the end, never encoding it whole.
    """
    start, size = len(text), 0
    while start > 0:
        block_start = max(0, start - _MEASURED_CHARACTERS)
        block_size = _json_size(text[block_start:start])
        if size + block_size > max_bytes:
            while size + _json_size(text[start - 1]) <= max_bytes:
                size, start = size + _json_size(text[start - 1]), start - 1
            return text[start:], True
        size, start = size + block_size, block_start
    return text, False


def _json_size(text):
    return len(orjson.dumps(text)) - 2  # without the quotes
