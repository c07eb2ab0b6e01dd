"""Per-client rate limits for the logs endpoints, which reach out to the agents and stream large bodies."""
from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class LogsRateThrottle(SimpleRateThrottle):
    """One budget per client across all logs endpoints, at `settings.LOGS_THROTTLE_RATE`."""
    scope = 'logs'

    def get_rate(self):
        # Read per request rather than from DRF's settings at import, so the rate can be changed at run time.
        return settings.LOGS_THROTTLE_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {'scope': self.scope, 'ident': self.get_ident(request)}
