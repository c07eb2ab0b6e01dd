"""Reads go to a PostgreSQL streaming replica when DATABASE_REPLICA_URLS names some; writes and migrations
to the primary. A replica that cannot be reached is skipped for REPLICA_RETRY_INTERVAL seconds, and when none
can be reached reads fall back to the primary, so a replica going down costs one failed connect, not answers.

Within one request every read goes to the same database: replicas lag by different amounts, and a page's count,
rows and ETag must all describe one state of the data.
"""

import contextvars
import logging
import random
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

_skipped_until = {}
_skipped_lock = threading.Lock()


def replica_aliases():
    return [alias for alias in settings.DATABASES if alias.startswith('replica_')]


def is_reachable(alias):
    """Connect if not connected yet; a failure marks the replica as skipped for a while."""
    if time.monotonic() < _skipped_until.get(alias, 0.0):
        return False
    connection = connections[alias]
    try:
        # A pooled connection to a replica that has since gone away is dropped here, not in the query.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        return True
    except DatabaseError as error:
        with _skipped_lock:
            _skipped_until[alias] = time.monotonic() + settings.REPLICA_RETRY_INTERVAL
        logger.warning(
            'Replica %s unreachable, reading from the primary: %s',
            alias,
            str(error).strip(),
            extra={'event': 'replica_unreachable', 'alias': alias},
        )
        return False


_UNCHOSEN = object()
# The alias the current request reads from; None outside requests (commands read wherever they like).
_request_alias = contextvars.ContextVar('request_read_alias', default=None)


class OneDatabasePerRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_alias.set(_UNCHOSEN)
        try:
            return self.get_response(request)
        finally:
            _request_alias.reset(token)


def _any_reachable_alias():
    replicas = replica_aliases()
    random.shuffle(replicas)  # spread reads over the replicas
    return next((alias for alias in replicas if is_reachable(alias)), 'default')


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        chosen = _request_alias.get()
        if chosen not in (None, _UNCHOSEN) and (chosen == 'default' or is_reachable(chosen)):
            return chosen
        alias = _any_reachable_alias()
        if chosen is not None:
            _request_alias.set(alias)
        return alias

    def db_for_write(self, model, **hints):
        return 'default'

    def allow_relation(self, first, second, **hints):
        return True  # every alias holds the same data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == 'default'
