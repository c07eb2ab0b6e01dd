from django.apps import AppConfig


class JobConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'job'

    def ready(self):
        from job import counts
        from job.selectors import missing_triggers
        from job.throttling import shared_cache_problems
        from scale.health import register_readiness_check

        # Without its trigger, writes to a table would not change the lists' version: stale 304s.
        register_readiness_check('missing_triggers', missing_triggers)
        # Without them, writes would not reach the per-group counts: list counts would drift from the rows.
        register_readiness_check('untrusted_counts', counts.missing_triggers)
        # A shared cache that does not answer would leave the logs throttle off on this instance.
        register_readiness_check('cache', shared_cache_problems)
