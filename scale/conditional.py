"""Strong ETags from cheap version data, and 304 answers to `If-None-Match`, for polling clients.

A tag digests the version of what an answer shows (not the answer's bytes) together with everything else the
bytes depend on: the absolute URL (links in the body carry host, path and query) and the negotiated media type.
"""
import hashlib

from django.http import HttpResponseNotModified
from django.utils.http import http_date, parse_etags


def strong_etag(request, *version):
    return f'"{_digest(request, version)}"'


def serial_etag(request, serial, *version):
    """A strong tag that shows `serial`, a number that grows with every change of what the answer shows, so a
    request can read back the serial its client holds (see `claimed_serial`)."""
    return f'"{serial}-{_digest(request, (serial, *version))}"'


def claimed_serial(request, *version):
    """The serial of a tag in If-None-Match that `serial_etag` made for this request at that serial, or None."""
    for tag in client_etags(request):
        serial, dash, _ = tag.strip('"').partition('-')
        well_formed = dash and serial.isascii() and serial.isdigit() and len(serial) <= 18  # fits a bigint
        if well_formed and serial_etag(request, int(serial), *version) == tag:
            return int(serial)
    return None


def _digest(request, version):
    accepted = getattr(request, 'accepted_media_type', '')
    digest = hashlib.blake2b(repr((request.build_absolute_uri(), accepted, version)).encode(), digest_size=16)
    return digest.hexdigest()


def client_etags(request):
    """The tags in If-None-Match, weak ones as strong (RFC 9110 compares weakly for If-None-Match)."""
    header = request.headers.get('If-None-Match')
    return [tag.removeprefix('W/') for tag in parse_etags(header)] if header else []


def matches(request, etag):
    """True when the client's If-None-Match names `etag`, or is `*`."""
    tags = client_etags(request)
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
