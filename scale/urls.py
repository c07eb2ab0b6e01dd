"""Root URLs: every endpoint is served at the root and, as Scale served it, under /v3/."""
from django.urls import include, path

api = [
    path('', include('job.urls')),
]

urlpatterns = [
    path('', include(api)),
    path('v3/', include(api)),
]

handler400 = 'scale.exceptions.bad_request'
handler403 = 'scale.exceptions.permission_denied'
handler404 = 'scale.exceptions.page_not_found'
handler500 = 'scale.exceptions.server_error'
