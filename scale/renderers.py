"""The default JSON renderer: orjson, several times faster than the standard library on big pages."""

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_fallback = JSONEncoder()


class OrjsonRenderer(JSONRenderer):
    """Compact UTF-8 JSON as DRF's renderer writes it; types orjson does not know go through DRF's encoder."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b''
        return orjson.dumps(data, default=_fallback.default)
