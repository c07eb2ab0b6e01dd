"""Page-number pagination shared by every list endpoint."""
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    # A bad or non-positive page_size falls back to the default, and a large one is capped, as Scale did.
    page_size = 100
    page_size_query_param = 'page_size'
    max_page_size = 1000
