"""Page-number pagination shared by every list endpoint."""
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    # A bad or non-positive page_size falls back to the default, and a large one is capped, as Scale did.
    page_size = 100
    page_size_query_param = 'page_size'
    max_page_size = 1000

    def get_paginated_response_schema(self, schema):
        """DRF marks next/previous with OpenAPI 3.0's `nullable`; the schema is 3.1, where null is a type."""
        paginated = super().get_paginated_response_schema(schema)
        for link in ('next', 'previous'):
            paginated['properties'][link].pop('nullable', None)
            paginated['properties'][link]['type'] = ['string', 'null']
        return paginated
