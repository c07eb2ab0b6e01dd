"""The operators' UI: pages that hold no data. Their scripts read everything from the public API, as any
external UI would; the pages only say where to poll and how often."""

from functools import wraps
from urllib.parse import quote_plus

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

from job.models import JobExecution

# No inline or eval'd script, nothing from another origin: a log line that slipped into the page as HTML
# could run nothing.
CONTENT_SECURITY_POLICY = '; '.join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def ui_page(view):
    @wraps(view)
    def page(request, *args, **kwargs):
        if request.method not in ('GET', 'HEAD'):
            response = JsonResponse({'detail': f'Method "{request.method}" not allowed.'}, status=405)
            response['Allow'] = 'GET, HEAD'
            return response
        response = view(request, *args, **kwargs)
        response['Content-Security-Policy'] = CONTENT_SECURITY_POLICY
        response['Cache-Control'] = 'no-cache'
        return response

    return page


def _config():
    return {
        'refresh_ms': round(settings.UI_REFRESH_SECONDS * 1000),
        'log_poll_ms': round(settings.UI_LOG_POLL_SECONDS * 1000),
        'log_max_lines': settings.UI_LOG_MAX_LINES,
    }


_TEXT_FILTERS = [
    {
        'name': 'job_type_id',
        'label': 'Job type id',
        'inputmode': 'numeric',
        'placeholder': '3, 7',
        'hint': 'One or more ids, separated by commas.',
    },
    {
        'name': 'job_type_name',
        'label': 'Job type name',
        'inputmode': 'text',
        'placeholder': 'landsat-ndvi',
        'hint': 'Exact names, separated by commas.',
    },
    {
        'name': 'job_type_category',
        'label': 'Job type category',
        'inputmode': 'text',
        'placeholder': 'raster',
        'hint': 'Exact categories, separated by commas.',
    },
    {
        'name': 'node_id',
        'label': 'Node id',
        'inputmode': 'numeric',
        'placeholder': '1',
        'hint': 'One or more ids, separated by commas.',
    },
    {
        'name': 'started',
        'label': 'Changed since',
        'inputmode': 'text',
        'placeholder': 'PT3H or 2015-01-01T00:00:00Z',
        'list': 'durations',
        'hint': 'A date-time with a zone, or a duration back from now (PT3H: 3 hours).',
    },
    {
        'name': 'ended',
        'label': 'Changed until',
        'inputmode': 'text',
        'placeholder': 'P1D or 2015-12-31T23:59:59Z',
        'list': 'durations',
        'hint': 'The same forms; both filter on last_modified.',
    },
]
# Sort keys are the API's `order` values.
_COLUMNS = [
    ('Id', 'id'),
    ('Status', 'status'),
    ('Job type', 'job_type__name'),
    ('Node', 'node__hostname'),
    ('Created', 'created'),
    ('Started', 'started'),
    ('Ended', 'ended'),
    ('Duration', None),
    ('Error', 'error__name'),
]


# The list's parameters as executions.js takes them from the page's URL: every value of these, in this order...
LIST_MULTI = ['status', 'job_type_id', 'job_type_name', 'job_type_category', 'node_id', 'order']
# ...then the first value of these.
LIST_SINGLE = ['started', 'ended', 'page_size', 'page', 'pagination', 'cursor']


def list_api_url(query):
    """The URL executions.js asks first for the page's query (`listUrl(currentQuery())`), byte for byte: named in
    a preload, the browser asks for the rows alongside the page's modules and the module's fetch takes that
    answer, instead of asking only once the modules have run."""
    pairs = [(name, value) for name in LIST_MULTI for value in query.getlist(name) if value]
    pairs += [(name, query.getlist(name)[0]) for name in LIST_SINGLE if query.getlist(name, [''])[0]]
    encoded = '&'.join(f'{_form_encoded(name)}={_form_encoded(value)}' for name, value in pairs)
    return f'/job-executions/?{encoded}' if encoded else '/job-executions/'


def _form_encoded(text):
    # As URLSearchParams writes it: '*' stays, '~' is escaped (quote_plus does the opposite with both).
    return quote_plus(text, safe='*').replace('~', '%7E')


@ui_page
def executions(request):
    return render(
        request,
        'ui/executions.html',
        {
            'config': _config(),
            # A token cannot go into a preload: with tokens, the module asks, with its header.
            'list_preload': None if settings.API_TOKENS else list_api_url(request.GET),
            'statuses': [status.value for status in JobExecution.Status],
            'text_filters': _TEXT_FILTERS,
            'page_sizes': [25, 50, 100, 250, 1000],
            'columns': [{'label': label, 'key': key} for label, key in _COLUMNS],
        },
    )


@ui_page
def execution(request, pk):
    return render(
        request,
        'ui/execution.html',
        {
            'config': _config(),
            'execution_id': int(pk),
            'streams': ['stdout', 'stderr'],
            'modules': [f'ui/{name}.js' for name in ('execution', 'api', 'format', 'logview', 'ansi', 'search')],
        },
    )
