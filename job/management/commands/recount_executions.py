"""Count every execution again into the per-group counts the list's `count` reads (migration job/0005).

Needed after writes the counting triggers did not see: a restore or load made with triggers disabled
(`pg_restore --disable-triggers`, `session_replication_role = replica`), or a TRUNCATE while they were dropped.
Scale's writes to job_exe and job wait until it finishes (about a minute at ten million executions).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from job.counts import missing_triggers, recount


class Command(BaseCommand):
    help = 'Recount the executions per (status, job type, node) that list counts are read from (PostgreSQL).'

    def add_arguments(self, parser):
        parser.add_argument('--database', default=DEFAULT_DB_ALIAS)

    def handle(self, *args, database, **options):
        if connections[database].vendor != 'postgresql':
            raise CommandError('Only PostgreSQL keeps per-group counts; other databases count by scanning.')
        missing = missing_triggers(database)
        if missing:
            raise CommandError(
                f'Counting triggers missing or disabled: {", ".join(missing)}. '
                'Run `manage.py migrate` (or enable them) first, then recount.'
            )
        with transaction.atomic(using=database):
            total = recount(database)
        self.stdout.write(f'{total} executions counted.')
