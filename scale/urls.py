"""Root URLs: every endpoint is served at the root and, as Scale served it, under /v3/; the API docs beside them."""

from django.urls import include, path
from django_prometheus.exports import ExportToDjangoView
from drf_spectacular.views import SpectacularSwaggerView

from scale import health
from scale.auth import token_required
from scale.openapi import SchemaView

api = [
    path('', include('job.urls')),
]

urlpatterns = [
    path('', include(api)),
    path('v3/', include(api)),
    path('healthz', health.healthz, name='healthz'),
    path('readyz', health.readyz, name='readyz'),
    path('metrics', token_required(ExportToDjangoView), name='metrics'),
    path('api/schema/', SchemaView.as_view(), name='schema'),
    # A page: GET and HEAD only (DRF's OPTIONS metadata has no template to render it in).
    path(
        'api/docs/',
        SpectacularSwaggerView.as_view(url_name='schema', http_method_names=['get', 'head']),
        name='swagger-ui',
    ),
    path('', include('ui.urls')),
]

handler400 = 'scale.exceptions.bad_request'
handler403 = 'scale.exceptions.permission_denied'
handler404 = 'scale.exceptions.page_not_found'
handler500 = 'scale.exceptions.server_error'
