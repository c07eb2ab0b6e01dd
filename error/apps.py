from django.apps import AppConfig


class ErrorConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'error'
