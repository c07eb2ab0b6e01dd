"""One structured log line per request, and a request id that ties it to every other line the request logs.

A client's X-Request-ID is kept when it looks like an id (so a load balancer's or UI's id follows the request);
otherwise one is made. Either way it is answered in X-Request-ID.
"""

import contextvars
import logging
import re
import time
import uuid

logger = logging.getLogger('scale.requests')

REQUEST_ID = contextvars.ContextVar('request_id', default=None)
_ACCEPTABLE_ID = re.compile(r'^[A-Za-z0-9._:-]{1,128}$')


def request_id_from(request):
    offered = request.headers.get('X-Request-ID', '')
    return offered if _ACCEPTABLE_ID.match(offered) else uuid.uuid4().hex


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        request.request_id = request_id_from(request)
        token = REQUEST_ID.set(request.request_id)
        try:
            response = self.get_response(request)
            response['X-Request-ID'] = request.request_id
            log_request(request, response.status_code, started)
            return response
        finally:
            REQUEST_ID.reset(token)


def log_request(request, status, started):
    # For a streamed answer the duration is the time to its first byte.
    logger.info(
        '%s %s %s',
        request.method,
        request.path,
        status,
        extra={
            'event': 'request',
            'method': request.method,
            'path': request.path,
            'query': request.META.get('QUERY_STRING', ''),
            'status': status,
            'duration_ms': round((time.monotonic() - started) * 1000, 1),
        },
    )


class RequestIdFilter(logging.Filter):
    """Stamps every log record with the id of the request being served, if any."""

    def filter(self, record):
        record.request_id = REQUEST_ID.get()
        return True
