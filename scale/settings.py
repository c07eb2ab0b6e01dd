"""Settings for the job execution service.

Everything that differs between machines comes from environment variables, read here and only here.
"""

import os
import re
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured

from scale.env import env_bool, env_choice, env_float, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent


DEBUG = env_bool('DEBUG')

SECRET_KEY = os.environ.get('SECRET_KEY', '')
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            'SECRET_KEY is not set. Set it in the environment (or set DEBUG=true for local development).'
        )
    SECRET_KEY = 'insecure-development-key-do-not-use-in-production'

ALLOWED_HOSTS = env_list('ALLOWED_HOSTS', ['localhost', '127.0.0.1', '[::1]'])

# When set, every endpoint but the health checks, the schema and its docs page needs one of these tokens.
API_TOKENS = env_list('API_TOKENS', [])
if any(len(token) < 16 for token in API_TOKENS):
    raise ImproperlyConfigured('API_TOKENS must be comma-separated tokens of at least 16 characters each.')
# Open without tokens is a deployment choice (a trusted network); this makes forgetting them a start-up error.
REQUIRE_API_TOKENS = env_bool('REQUIRE_API_TOKENS')
if REQUIRE_API_TOKENS and not API_TOKENS:
    raise ImproperlyConfigured('REQUIRE_API_TOKENS is true but API_TOKENS is empty: set the tokens clients use.')

# Web UIs on these origins (scheme://host[:port]) may call the API from the browser.
CORS_ALLOWED_ORIGINS = env_list('CORS_ALLOWED_ORIGINS', [])

INSTALLED_APPS = [
    'django.contrib.contenttypes',
    'django.contrib.staticfiles',
    'corsheaders',
    'rest_framework',
    'django_filters',
    'drf_spectacular',
    'drf_spectacular_sidecar',
    'django_prometheus',
    'error',
    'node',
    'job',
    'ui',
]

MIDDLEWARE = [
    # First and last, so the request metrics time everything in between.
    'django_prometheus.middleware.PrometheusBeforeMiddleware',
    'scale.request_log.RequestLogMiddleware',
    # Outside everything that may answer an error in HTML (whitenoise, method checks, the docs page).
    'scale.exceptions.JsonErrorsMiddleware',
    'django.middleware.security.SecurityMiddleware',
    'scale.db.routers.OneDatabasePerRequestMiddleware',
    'whitenoise.middleware.WhiteNoiseMiddleware',
    # Before CommonMiddleware, so preflight requests and redirects carry the CORS headers.
    'corsheaders.middleware.CorsMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.clickjacking.XFrameOptionsMiddleware',
    'django_prometheus.middleware.PrometheusAfterMiddleware',
]

ROOT_URLCONF = 'scale.urls'

TEMPLATES = [
    {
        'BACKEND': 'django.template.backends.django.DjangoTemplates',
        'DIRS': [],
        'APP_DIRS': True,
        'OPTIONS': {
            'context_processors': [
                'django.template.context_processors.request',
            ],
        },
    },
]

WSGI_APPLICATION = 'scale.wsgi.application'

# A database that does not answer within these limits makes /readyz answer 503 instead of hanging.
DATABASE_CONNECT_TIMEOUT = env_float('DATABASE_CONNECT_TIMEOUT', 3.0)
READINESS_TIMEOUT = env_float('READINESS_TIMEOUT', 2.0)
# PostgreSQL cancels any statement running longer than this (0: never), so a pathological query cannot pin a
# worker thread and a database connection; the request answers 503.
DATABASE_STATEMENT_TIMEOUT = env_float('DATABASE_STATEMENT_TIMEOUT', 15.0, allow_zero=True)
# The lookup behind a details ETag is prepared once per connection (planning its joins cost more than running it).
# Off behind PgBouncer in transaction mode, which does not keep a session's prepared statements.
DATABASE_PREPARED_STATEMENTS = env_bool('DATABASE_PREPARED_STATEMENTS', True)


# The same backends, wrapped to count queries and time them for /metrics (PostgreSQL's also reads Scale's
# `json` columns, see scale/db/postgresql/base.py).
_INSTRUMENTED_ENGINES = {
    'django.db.backends.postgresql': 'scale.db.postgresql',
    'django.db.backends.sqlite3': 'django_prometheus.db.backends.sqlite3',
}


def statement_timeout_ms(seconds):
    """PostgreSQL's milliseconds; a positive timeout never rounds down to 0, which would turn it off."""
    return max(1, round(seconds * 1000)) if seconds > 0 else 0


# Every read here stops after a page or sums a few rows. On a large table PostgreSQL still plans some with parallel
# workers, whose start-up was 30-40 ms of a 47 ms page at 10,000,000 executions, or JIT-compiles them (up to a
# second): neither pays off for such queries (docs/performance.md, "Counts"; docs/operations.md, "Counts").
PLANNER_OPTIONS = '-c max_parallel_workers_per_gather=0 -c jit=off'


def database_settings(url):
    database = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if database['ENGINE'] == 'django.db.backends.postgresql':
        options = database.setdefault('OPTIONS', {})
        options['connect_timeout'] = max(1, round(DATABASE_CONNECT_TIMEOUT))
        options['options'] = (
            f'-c statement_timeout={statement_timeout_ms(DATABASE_STATEMENT_TIMEOUT)} {PLANNER_OPTIONS}'
        )
    database['ENGINE'] = _INSTRUMENTED_ENGINES.get(database['ENGINE'], database['ENGINE'])
    return database


# Production points DATABASE_URL at PostgreSQL and must set it: without it, an empty SQLite file would be served.
# With DEBUG on (and in `make run` and the tests, which set it), the default is an SQLite file in the project.
if not os.environ.get('DATABASE_URL') and not DEBUG:
    raise ImproperlyConfigured(
        'DATABASE_URL is not set. Set it to the database to serve (postgres://user:password@host:5432/scale), '
        'or set DEBUG=true for local development on SQLite.'
    )
DATABASES = {
    'default': database_settings(os.environ.get('DATABASE_URL') or f'sqlite:///{BASE_DIR / "db.sqlite3"}'),
}

# Streaming replicas of the primary, for reads (scale/db/routers.py). In tests they mirror the primary.
for _number, _url in enumerate(env_list('DATABASE_REPLICA_URLS', []), start=1):
    if not _url.startswith(('postgres://', 'postgresql://')):
        raise ImproperlyConfigured('DATABASE_REPLICA_URLS must be comma-separated postgres:// URLs.')
    DATABASES[f'replica_{_number}'] = {**database_settings(_url), 'TEST': {'MIRROR': 'default'}}
DATABASE_ROUTERS = ['scale.db.routers.ReplicaRouter'] if len(DATABASES) > 1 else []
# How long a replica that could not be reached is left alone before it is tried again.
REPLICA_RETRY_INTERVAL = env_float('REPLICA_RETRY_INTERVAL', 10.0)

# Shared by every instance when CACHE_URL names a Redis (redis://host:6379/0), so throttling counts a client's
# requests across all of them; otherwise each process keeps its own in memory.
CACHE_URL = os.environ.get('CACHE_URL', '')


def cache_settings(url):
    if not url:
        return {'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}
    if not url.startswith(('redis://', 'rediss://', 'unix://')):
        raise ImproperlyConfigured(f'CACHE_URL must be a redis://, rediss:// or unix:// URL, got {url!r}')
    # A cache that does not answer must cost a second, not a request's whole time.
    return {
        'BACKEND': 'django.core.cache.backends.redis.RedisCache',
        'LOCATION': url,
        'OPTIONS': {'socket_connect_timeout': 1, 'socket_timeout': 1},
    }


CACHES = {'default': cache_settings(CACHE_URL)}

# Scale's tables use 32-bit serial ids.
DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'

LANGUAGE_CODE = 'en-us'
TIME_ZONE = 'UTC'
USE_I18N = False
USE_TZ = True

STATIC_URL = 'static/'
# `collectstatic` (run by make run, make test and make serve) puts every asset here under a content-hashed
# name, which whitenoise serves with a year-long, immutable Cache-Control. Until it has run, the assets are
# served from the apps under their plain names.
STATIC_ROOT = BASE_DIR / 'staticfiles'
STORAGES = {
    'default': {'BACKEND': 'django.core.files.storage.FileSystemStorage'},
    'staticfiles': {'BACKEND': 'scale.staticfiles.HashedStaticFiles'},
}
WHITENOISE_USE_FINDERS = True

REST_FRAMEWORK = {
    'DEFAULT_RENDERER_CLASSES': [
        'scale.renderers.OrjsonRenderer',
        'rest_framework.renderers.BrowsableAPIRenderer',
    ],
    'DEFAULT_PARSER_CLASSES': [],
    'DEFAULT_AUTHENTICATION_CLASSES': ['scale.auth.APITokenAuthentication'],
    'DEFAULT_PERMISSION_CLASSES': ['scale.auth.HasAPITokenIfConfigured'],
    'UNAUTHENTICATED_USER': None,
    'DEFAULT_FILTER_BACKENDS': ['scale.filters.FilterBackend'],
    'DEFAULT_PAGINATION_CLASS': 'scale.pagination.StandardPagination',
    'TEST_REQUEST_DEFAULT_FORMAT': 'json',
    'DEFAULT_SCHEMA_CLASS': 'drf_spectacular.openapi.AutoSchema',
    'EXCEPTION_HANDLER': 'scale.exceptions.api_exception_handler',
    # Proxies in front of the service whose X-Forwarded-For is trusted to name the client (for throttling). With 0,
    # the client is the connection's address: a header anyone can send must not buy a fresh rate budget.
    'NUM_PROXIES': env_int('NUM_PROXIES', 0, minimum=0),
}

# Secure headers on every answer, the API's, the docs page's and the static assets'.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = 'DENY'
SECURE_REFERRER_POLICY = 'same-origin'
# Browsers may send and read the request id across origins, so a UI can quote it in a bug report.
CORS_ALLOW_HEADERS = (*default_cors_headers, 'x-request-id')
CORS_EXPOSE_HEADERS = ['X-Request-ID']

# OpenAPI 3.1, whose schemas are plain JSON Schema: a client (or our test) validates responses with any validator.
SPECTACULAR_SETTINGS = {
    'TITLE': 'Scale job execution service',
    'DESCRIPTION': (
        'Read-only access to Scale job executions: list, details and logs. '
        'Every path is also served under /v3/, as Scale served it.'
    ),
    'VERSION': '3',
    'OAS_VERSION': '3.1.0',
    'SERVE_INCLUDE_SCHEMA': False,
    'PREPROCESSING_HOOKS': ['scale.openapi.exclude_v3_aliases'],
    'POSTPROCESSING_HOOKS': ['drf_spectacular.hooks.postprocess_schema_enums', 'job.openapi.empty_values_are_ignored'],
    # Swagger UI's assets come from the installed sidecar package, so the docs page needs no internet access.
    'SWAGGER_UI_DIST': 'SIDECAR',
    'SWAGGER_UI_FAVICON_HREF': 'SIDECAR',
    'REDOC_DIST': 'SIDECAR',
    # The schema and its docs page describe the API and hold no data: they stay open, so Swagger UI can load
    # the schema before the user enters a token with its Authorize button.
    'SERVE_AUTHENTICATION': [],
    'SERVE_PERMISSIONS': ['rest_framework.permissions.AllowAny'],
    'ENUM_NAME_OVERRIDES': {
        'JobStatusEnum': 'job.models.Job.Status',
        'JobExecutionStatusEnum': 'job.models.JobExecution.Status',
    },
}

# The operators' UI (ui/): how often a page polls the API while it is visible, and how many log lines it keeps.
UI_REFRESH_SECONDS = env_float('UI_REFRESH_SECONDS', 5.0)
UI_LOG_POLL_SECONDS = env_float('UI_LOG_POLL_SECONDS', 1.0)
UI_LOG_MAX_LINES = env_int('UI_LOG_MAX_LINES', 300_000)

# Live logs are read from the Mesos agents with these limits, so a dead or slow agent never stalls a request.
MESOS_AGENT_TIMEOUT = env_float('MESOS_AGENT_TIMEOUT', 5.0)
# Agents started with --authenticate_http_readonly answer 401 to reads without these (HTTP Basic). Never logged.
MESOS_AGENT_PRINCIPAL = os.environ.get('MESOS_AGENT_PRINCIPAL', '')
MESOS_AGENT_SECRET = os.environ.get('MESOS_AGENT_SECRET', '')
if bool(MESOS_AGENT_PRINCIPAL) != bool(MESOS_AGENT_SECRET):
    raise ImproperlyConfigured('MESOS_AGENT_PRINCIPAL and MESOS_AGENT_SECRET are set together or not at all.')

# Logs endpoints. The most bytes one plain-text answer (or one chunk of a follow) carries:
LOGS_MAX_BYTES = env_int('LOGS_MAX_BYTES', 2 * 1024 * 1024)
# The most of each stream the JSON logs endpoint holds and answers (its tail):
LOGS_JSON_MAX_BYTES = env_int('LOGS_JSON_MAX_BYTES', 10 * 1024 * 1024)
# A follow ends after this long, and looks for new bytes this often:
LOGS_FOLLOW_MAX_SECONDS = env_float('LOGS_FOLLOW_MAX_SECONDS', 300.0)
LOGS_FOLLOW_POLL_SECONDS = env_float('LOGS_FOLLOW_POLL_SECONDS', 1.0)
# Follows at once per process; each holds a server thread, so keep it below GUNICORN_THREADS. Past it: 503.
LOGS_FOLLOW_MAX_CONCURRENT = env_int('LOGS_FOLLOW_MAX_CONCURRENT', 4)
# ...and of those, per client (its address, as for throttling), so one client cannot hold them all.
LOGS_FOLLOW_MAX_PER_CLIENT = env_int('LOGS_FOLLOW_MAX_PER_CLIENT', 2)

# Calls per client to all logs endpoints together, as DRF rates: "120/min", "5/second", "1000/hour".
LOGS_THROTTLE_RATE = os.environ.get('LOGS_THROTTLE_RATE', '120/min')
if not re.fullmatch(r'[0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)', LOGS_THROTTLE_RATE):
    raise ImproperlyConfigured(f'LOGS_THROTTLE_RATE must look like "120/min", got {LOGS_THROTTLE_RATE!r}')

LOG_LEVELS = ('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL')
# One JSON object per line on stdout, each stamped with the request id and the pid of the worker that wrote it.
LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'filters': {
        'request_id': {'()': 'scale.request_log.RequestIdFilter'},
    },
    'formatters': {
        'json': {
            '()': 'pythonjsonlogger.json.JsonFormatter',
            'fmt': '%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(process)d',
            'rename_fields': {'asctime': 'time', 'levelname': 'level', 'name': 'logger', 'process': 'pid'},
        },
    },
    'handlers': {
        'stdout': {
            'class': 'logging.StreamHandler',
            'stream': 'ext://sys.stdout',
            'formatter': 'json',
            'filters': ['request_id'],
        },
    },
    'root': {'handlers': ['stdout'], 'level': env_choice('LOG_LEVEL', 'INFO', LOG_LEVELS)},
    'loggers': {
        # Django's own per-request warnings (404s, 400s) would repeat what the request line says.
        'django.request': {'level': 'ERROR'},
    },
}
