"""Per-client rate limits for the logs endpoints, which reach out to the agents and stream large bodies."""

import hashlib
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
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


def shared_cache_problems(alias=None):
    """What is wrong with the shared cache CACHE_URL names (empty when none is set or it answers): a readiness
    check, so a wrong CACHE_URL takes the instance out of the load balancer instead of quietly leaving the logs
    unthrottled (the throttle lets calls through while its cache fails)."""
    if not settings.CACHE_URL:
        return []
    try:
        cache.set('readiness-probe', 1, timeout=10)
        if cache.get('readiness-probe') == 1:
            return []
        problem = 'it did not keep a value'
    except Exception as error:  # whatever the cache client raises: it is the cache that is not ready
        problem = str(error) or repr(error)
    return [f'CACHE_URL {shown_cache_url(settings.CACHE_URL)} does not answer: {problem}']


def shown_cache_url(url):
    """The URL with any password replaced, fit for logs and answers."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f':{parts.password}@', ':***@', 1)).geturl()
