"""Liveness and readiness for load balancers and orchestrators: no authentication, no agent calls.

/healthz says the process answers; /readyz says the database answers within a short time limit and has every
migration this release needs (lists read a table and triggers added by a migration), and that the triggers keeping
the lists' counts are in place (without them a count would silently drift from the rows).
"""
import logging

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.http import require_safe

from job.counts import missing_triggers

logger = logging.getLogger(__name__)


@require_safe
def healthz(request):
    return JsonResponse({'status': 'ok'})


@require_safe
def readyz(request):
    """200 when the primary database answers; a replica that does not is reported, since reads fall back."""
    databases = {alias: database_status(alias) for alias in connections}
    if databases['default'] != 'ok':
        return JsonResponse({'status': 'unavailable', 'databases': databases}, status=503)
    body = {'databases': databases, 'migrations': migrations_status()}
    if body['migrations'] == 'ok':
        body.update(counts_status())
    ready = body['migrations'] == 'ok' and body['counts'] == 'ok'
    return JsonResponse({'status': 'ok' if ready else 'unavailable', **body}, status=200 if ready else 503)


def counts_status():
    """{'counts': 'ok'} when every trigger keeping the per-group execution counts (job.counts) is there and
    enabled; else 'untrusted' and the missing ones (logged): someone dropped or disabled them, so counts may be
    wrong until `manage.py migrate` and `manage.py recount_executions` (docs/operations.md)."""
    try:
        missing = missing_triggers('default')
    except DatabaseError as error:
        logger.warning('Could not check the counting triggers: %s', str(error).strip())
        return {'counts': 'unavailable'}
    if missing:
        logger.warning('Counting triggers missing or disabled, list counts cannot be trusted: %s', ', '.join(missing))
        return {'counts': 'untrusted', 'missing_triggers': missing}
    return {'counts': 'ok'}


_migrated = False


def migrations_status():
    """'ok' once the primary has every migration of this code, else 'pending' (logged). Checked until it is
    'ok' once: a release's schema does not go back by itself, and the check loads the migration graph."""
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connections['default'])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            logger.warning('Migrations not applied yet: %s', ', '.join(str(migration) for migration, _ in pending))
            return 'pending'
        _migrated = True
    return 'ok'


def database_status(alias):
    """'ok' if `alias` runs a trivial query within READINESS_TIMEOUT, else 'unavailable' (logged)."""
    connection = connections[alias]
    try:
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            if connection.vendor == 'postgresql':
                # SET LOCAL ends with the transaction, so the pooled connection keeps its own timeout.
                cursor.execute('SET LOCAL statement_timeout = %s', [int(settings.READINESS_TIMEOUT * 1000)])
            cursor.execute('SELECT 1')
        return 'ok'
    except DatabaseError as error:
        logger.warning('Database %s is not ready: %s', alias, str(error).strip())
        # A broken connection must not be reused by the next request in this thread.
        connection.close_if_unusable_or_obsolete()
        return 'unavailable'
