"""Configuration from environment variables, validated: a malformed value stops start-up with an error naming the
variable. Used by scale/settings.py and scale/gunicorn.conf.py alike (it imports nothing but Django's exception,
so the gunicorn configuration can use it before anything else is imported)."""

import math
import os

from django.core.exceptions import ImproperlyConfigured

TRUE, FALSE = ('true', 'on', 'yes', '1'), ('false', 'off', 'no', '0')


def env_bool(name, default=False):
    """true/on/yes/1 or false/off/no/0, in any case; empty or unset is `default`; anything else is an error."""
    value = os.environ.get(name, '').strip().lower()
    if value == '':
        return default
    if value not in TRUE + FALSE:
        raise ImproperlyConfigured(f'{name} must be true or false (or on/off, yes/no, 1/0), got {os.environ[name]!r}')
    return value in TRUE


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(',') if item.strip()]


def env_int(name, default, minimum=1):
    value = os.environ.get(name)
    if value is None or value == '':
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise ImproperlyConfigured(f'{name} must be a whole number of at least {minimum}, got {value!r}')
    return number


def env_float(name, default, allow_zero=False):
    """A positive number of seconds (or zero, where zero means "off")."""
    value = os.environ.get(name)
    if value is None or value == '':
        return default
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is None or not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        least = '0 or more' if allow_zero else 'more than 0'
        raise ImproperlyConfigured(f'{name} must be a number of seconds, {least}, got {value!r}')
    return number


def env_choice(name, default, choices):
    """One of `choices` (upper-case names, matched in any case)."""
    value = os.environ.get(name, '').strip().upper()
    if value == '':
        return default
    if value not in choices:
        raise ImproperlyConfigured(f'{name} must be one of {", ".join(choices)}, got {os.environ[name]!r}')
    return value


def env_str(name, default):
    value = os.environ.get(name)
    return default if value is None or value == '' else value
