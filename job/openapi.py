"""How the job execution endpoints are described in the OpenAPI schema: parameters, as the spec words them."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from job.filtersets import JobExecutionFilterSet
from job.models import JobExecution
from scale.openapi import detail_response

NOT_FOUND = detail_response('No job execution has this id.')
FOLLOWS_BUSY = detail_response('follow=true while this server follows its maximum already.')

_STATUSES = [status.value for status in JobExecution.Status]
_SORT_KEYS = sorted(
    prefix + name for name in JobExecutionFilterSet.base_filters['order'].param_map for prefix in ('', '-')
)


def _repeatable(name, item_type, description, **kwargs):
    """A parameter that may be given several times (`?name=a&name=b`): any of the values matches."""
    return OpenApiParameter(
        name,
        item_type,
        many=True,
        explode=True,
        style='form',
        description=f'{description} Repeat it to match any of several values.',
        **kwargs,
    )


_TIME_FORMATS = 'An ISO-8601 date-time with a zone (2015-01-01T00:00:00Z) or an ISO-8601 duration back from now (PT3H).'

LIST_PARAMETERS = [
    OpenApiParameter(
        'started', OpenApiTypes.STR, description=f'Start of the time range (last_modified). {_TIME_FORMATS}'
    ),
    OpenApiParameter('ended', OpenApiTypes.STR, description=f'End of the time range (last_modified). {_TIME_FORMATS}'),
    _repeatable(
        'order',
        OpenApiTypes.STR,
        enum=_SORT_KEYS,
        description='Sort key; nested fields use __ (job__job_type__name or job_type__name); a dash reverses. '
        'Comma-separated keys are accepted too.',
    ),
    _repeatable('status', OpenApiTypes.STR, 'Execution status, case-insensitive.', enum=_STATUSES),
    _repeatable('job_type_id', OpenApiTypes.INT, 'Job type id.'),
    _repeatable('job_type_name', OpenApiTypes.STR, 'Job type name, exact.'),
    _repeatable('job_type_category', OpenApiTypes.STR, 'Job type category, exact.'),
    _repeatable('node_id', OpenApiTypes.INT, 'Node id.'),
    OpenApiParameter(
        'pagination',
        OpenApiTypes.STR,
        enum=['cursor'],
        description='cursor: keyset pages whose cost does not grow with depth; no count, follow next/previous.',
    ),
    OpenApiParameter('cursor', OpenApiTypes.STR, description='A keyset page, as given in next/previous links.'),
]

# Scale's filters ignored a parameter given empty (`?status=&order=`), and so do ours: it reads as absent.
# (`pagination=` is a 400, and `cursor=` asks for the first keyset page: neither is ignored.)
IGNORED_WHEN_EMPTY = [
    'page',
    'page_size',
    'started',
    'ended',
    'status',
    'job_type_id',
    'job_type_name',
    'job_type_category',
    'node_id',
    'order',
]


def empty_values_are_ignored(result, generator, request, public):
    """Postprocessing hook: the schema says which list parameters may be sent empty (allowEmptyValue), and how
    many sort keys `order` takes."""
    for parameter in result['paths']['/job-executions/']['get']['parameters']:
        if parameter['name'] == 'order':
            parameter['schema']['maxItems'] = JobExecutionFilterSet.base_filters['order'].extra['max_items']
        if parameter['name'] in IGNORED_WHEN_EMPTY:
            parameter['allowEmptyValue'] = True
            parameter['description'] = (parameter.get('description', '') + ' Empty, it is ignored.').strip()
    return result
