"""Strong ETags from cheap version data, and 304 answers to `If-None-Match`, for polling clients.

A tag digests the version of what an answer shows (not the answer's bytes) together with everything else the
bytes depend on: the absolute URL (links in the body carry host, path and query) and the negotiated media type.
"""
import hashlib

from django.http import HttpResponseNotModified
from django.utils.http import http_date, parse_etags


def strong_etag(request, *version):
    accepted = getattr(request, 'accepted_media_type', '')
    digest = hashlib.blake2b(repr((request.build_absolute_uri(), accepted, version)).encode(), digest_size=16)
    return f'"{digest.hexdigest()}"'


def matches(request, etag):
    """True when the client's If-None-Match names `etag` (weak comparison, as RFC 9110 asks for If-None-Match)."""
    header = request.headers.get('If-None-Match')
    if not header:
        return False
    tags = [tag.removeprefix('W/') for tag in parse_etags(header)]
    return '*' in tags or etag in tags


def not_modified(etag, last_modified=None):
    return with_validators(HttpResponseNotModified(), etag, last_modified)


def with_validators(response, etag, last_modified=None):
    response['ETag'] = etag
    if last_modified is not None:
        response['Last-Modified'] = http_date(last_modified.timestamp())
    # The same URL answers JSON or the browsable API depending on Accept, and the tag says which.
    response['Vary'] = 'Accept'
    return response
