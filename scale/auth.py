"""Optional API tokens: when API_TOKENS is set, every request except health checks must carry one.

Clients send `Authorization: Token <token>` or `Authorization: Bearer <token>`; a missing or unknown token
is answered 401 JSON. With API_TOKENS unset the service is open, as Scale's own API was.
"""

import hmac
import logging

from django.conf import settings
from django.http import JsonResponse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

_SCHEMES = ('token', 'bearer')

logger = logging.getLogger(__name__)


def warn_if_open():
    """Said once per process at start-up: without tokens, anyone who reaches the service reads logs and metrics."""
    if not settings.DEBUG and not settings.API_TOKENS:
        logger.warning(
            'API_TOKENS is not set: the API, the logs and /metrics answer anyone who can reach this '
            'service. Set API_TOKENS (and REQUIRE_API_TOKENS=true) unless the network is trusted.',
            extra={'event': 'api_open'},
        )


class TokenHolder:
    """The caller that presented a configured token; there are no user accounts."""

    is_authenticated = True

    def __init__(self, token):
        self.token = token


def presented_token(request):
    """The token in the Authorization header, '' when the header is absent or of another scheme."""
    scheme, _, token = request.META.get('HTTP_AUTHORIZATION', '').partition(' ')
    return token.strip() if scheme.lower() in _SCHEMES else ''


def is_configured_token(token):
    # Compare every configured token in constant time, so timing does not reveal a near miss.
    return any([hmac.compare_digest(token.encode(), known.encode()) for known in settings.API_TOKENS])


class APITokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        token = presented_token(request)
        if not settings.API_TOKENS or not token:
            return None
        if not is_configured_token(token):
            raise exceptions.AuthenticationFailed('Invalid token.')
        return TokenHolder(token), token

    def authenticate_header(self, request):
        return 'Token'


class HasAPITokenIfConfigured(permissions.BasePermission):
    def has_permission(self, request, view):
        return not settings.API_TOKENS or request.auth is not None


def token_required(view):
    """The same rule for plain Django views (metrics): 401 JSON unless tokens are off or one is valid."""

    def checked(request, *args, **kwargs):
        if settings.API_TOKENS and not is_configured_token(presented_token(request)):
            response = JsonResponse({'detail': 'Authentication credentials were not provided.'}, status=401)
            response['WWW-Authenticate'] = 'Token'
            return response
        return view(request, *args, **kwargs)

    return checked


class APITokenScheme(OpenApiAuthenticationExtension):
    target_class = APITokenAuthentication
    name = 'apiToken'

    def get_security_definition(self, auto_schema):
        return {
            'type': 'http',
            'scheme': 'bearer',
            'description': 'Needed only when the service sets API_TOKENS. `Token <t>` is accepted too.',
        }

    def get_security_requirement(self, auto_schema):
        # Tokens are required only where API_TOKENS is set: describe going without one as allowed too.
        return [{self.name: []}, {}]
