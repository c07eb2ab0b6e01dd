"""OpenAPI pieces shared by every app: the error bodies, and the hook that documents each path once."""
from drf_spectacular.utils import OpenApiResponse

_DETAIL = {
    'type': 'object',
    'properties': {'detail': {'type': 'string'}},
    'required': ['detail'],
}
# A rejected query names each bad parameter with its messages: {"started": ["..."]}.
_INVALID_PARAMETERS = {
    'type': 'object',
    'additionalProperties': {'type': 'array', 'items': {'type': 'string'}},
}

NO_SUCH_PAGE = OpenApiResponse(_DETAIL, description='There is no such page: past the last one, or not a page number.')
BAD_PARAMETERS = OpenApiResponse(_INVALID_PARAMETERS, description='A query parameter is invalid; each is named.')
UNAUTHORIZED = OpenApiResponse(_DETAIL, description='API tokens are configured and none valid was sent.')
NOT_MODIFIED = OpenApiResponse(description='The If-None-Match tag is current: nothing changed, no body.')
THROTTLED = OpenApiResponse(_DETAIL, description='Too many calls from this client; Retry-After says when to come back.')


def detail_response(description):
    """An error answered as {"detail": "..."}."""
    return OpenApiResponse(_DETAIL, description=description)


def exclude_v3_aliases(endpoints):
    """/v3/... serves the same views as /...: describe each once, at the root."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith('/v3/')]
