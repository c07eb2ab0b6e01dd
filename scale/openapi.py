"""OpenAPI pieces shared by every app: the error bodies, the hook that documents each path once, and the view."""

import functools

from drf_spectacular.utils import OpenApiResponse
from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response

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


@functools.cache
def built_schema():
    """The schema describes the code, which does not change while the process runs: generated once (about 40 ms
    of CPU each time otherwise, on an endpoint open without a token)."""
    generator = SpectacularAPIView.generator_class(urlconf=None, api_version=None, patterns=None)
    return generator.get_schema(request=None, public=True)


class SchemaView(SpectacularAPIView):
    """`/api/schema/`: the schema built once. There is one version of it, so `?version=` changes nothing."""

    def _get_schema_response(self, request):
        filename = self._get_filename(request, None)
        return Response(built_schema(), headers={'Content-Disposition': f'inline; filename="{filename}"'})
