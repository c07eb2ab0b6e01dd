"""JSON bodies for the errors Django answers itself, and 503 for a database that is down or too slow.

DRF already answers its own errors in JSON; `api_exception_handler` adds the database's failures to them.
"""

import logging
from http import HTTPStatus

from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from rest_framework.views import exception_handler, set_rollback

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait: about what a database restart or a failover takes.
DATABASE_RETRY_AFTER = 5
# PostgreSQL's SQLSTATE for a statement cancelled, here by statement_timeout.
QUERY_CANCELED = '57014'


# What a client is told for each of Django's own 400s: fixed texts. The exception's text names settings and
# echoes the client's input (a Host header, say), so it goes to the server log only.
_BAD_REQUESTS = {
    DisallowedHost: 'This host name is not served here.',
    TooManyFieldsSent: 'Too many query parameters.',
    RequestDataTooBig: 'The request is too large.',
}


def bad_request(request, exception=None):
    detail = next((text for kind, text in _BAD_REQUESTS.items() if isinstance(exception, kind)), 'Bad request.')
    logger.warning('Bad request answered 400: %s', exception, extra={'event': 'bad_request'})
    return JsonResponse({'detail': detail}, status=400)


def permission_denied(request, exception=None):
    return JsonResponse({'detail': 'You do not have permission to perform this action.'}, status=403)


def page_not_found(request, exception=None):
    return JsonResponse({'detail': 'Not found.'}, status=404)


def server_error(request):
    return JsonResponse({'detail': 'Internal server error.'}, status=500)


def api_exception_handler(exc, context):
    """DRF's answers, plus 503 for a database that cannot be reached or cancelled a query: the server's
    trouble, which a later retry may not meet, not the client's mistake.

    The 503 is plain JSON even for a browser: the browsable API's page would query the database again.
    """
    if isinstance(exc, (OperationalError, InterfaceError)):
        return database_unavailable(exc)
    return exception_handler(exc, context)


def database_unavailable(error):
    cancelled = sqlstate(error) == QUERY_CANCELED
    logger.warning(
        'Database error answered 503: %s',
        str(error).strip(),
        extra={'event': 'statement_timeout' if cancelled else 'database_unavailable'},
    )
    set_rollback()
    detail = (
        'The database took too long to answer this request; narrow the filters or try again later.'
        if cancelled
        else 'The database is unavailable; try again later.'
    )
    return JsonResponse({'detail': detail}, status=503, headers={'Retry-After': str(DATABASE_RETRY_AFTER)})


def sqlstate(error):
    """The SQLSTATE of the driver's error behind Django's wrapper (psycopg2: pgcode, psycopg 3: sqlstate)."""
    cause = error.__cause__
    return getattr(cause, 'pgcode', None) or getattr(cause, 'sqlstate', None)


class JsonErrorsMiddleware:
    """Every error answer is JSON: Django's method checks (`require_safe`), the docs page's renderer and the static
    files' server answer their 4xx in HTML or bare; here those become `{"detail": ...}` with the same status and
    the same headers (Allow, Retry-After, the security and CORS headers), only the body's own replaced."""

    _BODY_HEADERS = ('content-type', 'content-length', 'content-encoding', 'content-disposition')

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or response.get('Content-Type', '').startswith('application/json'):
            return response
        detail = {405: f'Method "{request.method[:20]}" not allowed.'}.get(
            response.status_code, HTTPStatus(response.status_code).phrase + '.'
        )
        json_response = JsonResponse({'detail': detail}, status=response.status_code)
        for header, value in response.items():
            if header.lower() not in self._BODY_HEADERS:
                json_response[header] = value
        response.close()
        return json_response
