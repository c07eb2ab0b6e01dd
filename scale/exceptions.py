"""JSON bodies for the errors Django answers itself (DRF already answers its own in JSON)."""
from django.http import JsonResponse


def bad_request(request, exception=None):
    detail = str(exception) if exception and str(exception) else 'Bad request.'
    return JsonResponse({'detail': detail}, status=400)


def permission_denied(request, exception=None):
    return JsonResponse({'detail': 'You do not have permission to perform this action.'}, status=403)


def page_not_found(request, exception=None):
    return JsonResponse({'detail': 'Not found.'}, status=404)


def server_error(request):
    return JsonResponse({'detail': 'Internal server error.'}, status=500)
