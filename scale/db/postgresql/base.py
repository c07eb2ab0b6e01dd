"""PostgreSQL with query metrics, reading JSON columns of type `json` as well as `jsonb`.

Django's JSONField expects the driver to hand it JSON text, and Django arranges that for `jsonb` only. Tables
created by Scale's own migrations hold `json` columns, which the driver would decode itself, so JSONField
would be handed a dict and fail. Here `json` is read as text too, so both column types read the same.
"""

from django.db.backends.postgresql.psycopg_any import is_psycopg3
from django_prometheus.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        read_json_as_text(connection)
        return connection


def read_json_as_text(connection):
    if is_psycopg3:
        from psycopg.types.string import TextLoader

        connection.adapters.register_loader('json', TextLoader)
    else:
        from psycopg2.extras import register_default_json

        register_default_json(conn_or_curs=connection, loads=lambda text: text)
