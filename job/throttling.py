"""Per-client rate limits for the logs endpoints, which reach out to the agents and stream large bodies."""

import hashlib
import logging

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


class LogsRateThrottle(SimpleRateThrottle):
    """One budget per client across all logs endpoints, at `settings.LOGS_THROTTLE_RATE`."""

    scope = 'logs'

    def get_rate(self):
        # Read per request rather than from DRF's settings at import, so the rate can be changed at run time.
        return settings.LOGS_THROTTLE_RATE

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception as error:  # a shared cache (Redis) that is down must not fail the logs it only counts
            logger.warning('Logs throttle not applied, its cache failed: %r', error)
            return True

    def get_cache_key(self, request, view):
        return self.cache_format % {'scope': self.scope, 'ident': self.client_key(request)}

    def client_key(self, request):
        """Who the client is, for its rate and its follows: the token it presented when tokens are on, otherwise
        its address (behind NUM_PROXIES proxies, the one they name in X-Forwarded-For)."""
        token = getattr(request, 'auth', None)
        if token:  # hashed: cache keys are visible to whoever can read the cache
            return 'token-' + hashlib.sha256(token.encode()).hexdigest()[:32]
        return self.get_ident(request)
