"""Liveness and readiness for load balancers and orchestrators: no authentication, no agent calls.

/healthz says the process answers; /readyz says the database answers within a short time limit, has every
migration this release needs, and passes the checks apps register (`register_readiness_check`).
"""

import logging

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@require_safe
def healthz(request):
    return JsonResponse({'status': 'ok'})


_readiness_checks = {}


def register_readiness_check(name, check):
    """`check(alias)` returns what is wrong with database `alias` (a list, empty when nothing is); /readyz runs it
    once the migrations are applied and, when it finds something, answers 503 with the list under `name`."""
    _readiness_checks[name] = check


@require_safe
def readyz(request):
    """200 when the primary database answers; a replica that does not is reported, since reads fall back."""
    databases = {alias: database_status(alias) for alias in connections}
    if databases['default'] != 'ok':
        return JsonResponse({'status': 'unavailable', 'databases': databases}, status=503)
    migrations = migrations_status()
    failed = failed_checks('default') if migrations == 'ok' else {}
    ready = migrations == 'ok' and not failed
    return JsonResponse(
        {'status': 'ok' if ready else 'unavailable', 'databases': databases, 'migrations': migrations, **failed},
        status=200 if ready else 503,
    )


def failed_checks(alias):
    """{name: problems} of each registered check that finds some (logged)."""
    failed = {}
    for name, check in _readiness_checks.items():
        try:
            problems = check(alias)
        except DatabaseError as error:
            problems = [f'could not be checked: {str(error).strip()}']
            connections[alias].close_if_unusable_or_obsolete()
        if problems:
            logger.warning('Not ready, %s: %s', name, ', '.join(problems))
            failed[name] = problems
    return failed


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
