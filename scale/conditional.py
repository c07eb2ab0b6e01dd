"""Strong ETags from cheap version data, and 304 answers to `If-None-Match`, for polling clients.

A tag digests the version of what an answer shows (not the answer's bytes) together with everything else the
bytes depend on: the absolute URL (links in the body carry host, path and query), the negotiated media type, and
the shape's fingerprint. The mixins at the end give viewsets conditional list and retrieve from two hooks.
"""

import hashlib

from django.http import HttpResponseNotModified
from django.utils.http import http_date, parse_etags
from rest_framework.response import Response

from scale.pagination import SerializedRows


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


def newest(version):
    """The newest of a version's timestamps (None ones left out): the answer's Last-Modified."""
    return max(moment for moment in version if moment is not None)


class ConditionalListMixin:
    """`list()` for a viewset whose pages are `list_rows` (a RowSerializer), tagged with the list's version.

    A client holding the current tag gets an empty 304 before any row is read, and before the count. Hook:
    `list_version(queryset, counted, known)` gives (version, count): a number that grows with every change of what
    any list shows, and the filtered rows' count when `counted` (None when `known` is that version). The
    paginator (see scale.pagination) says whether it counts and checks its parameters first.
    """

    list_rows = None

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        paginator = self.paginator
        paginator.check_request(request, queryset, view=self)
        shape = self.list_rows.fingerprint
        version, count = self.list_version(queryset, counted=paginator.counts, known=claimed_serial(request, shape))
        etag = serial_etag(request, version, shape)
        if matches(request, etag):
            return not_modified(etag)
        rows = SerializedRows(self.page_queryset(queryset), self.list_rows, count, sorts_matches=self.sorts_matches)
        page = paginator.paginate_queryset(rows, request, view=self)
        return with_validators(paginator.get_paginated_response(page), etag)

    def list_version(self, queryset, counted, known):
        raise NotImplementedError

    def page_queryset(self, queryset):
        """Hook, asked after `list_version`: the queryset the page is read from, selecting the same rows in the same
        order as `queryset` (written as what `list_version` learnt lets the database plan better)."""
        return queryset

    def sorts_matches(self, end):
        """Hook, asked after `list_version`: True when a page ending at matching row `end` is cheaper to find by
        sorting every matching row than by walking an index in the list's order (scale.pagination.SerializedRows)."""
        return False


class ConditionalRetrieveMixin:
    """`retrieve()` tagged with a row's version, a tuple of the change timestamps of everything the answer shows.

    A client sending If-None-Match is checked against `row_version(pk)` first (None: no such row), so a current
    tag gets an empty 304 without the row being read. Otherwise `versioned_row(pk)` gives the answer and its version
    from one read. The tag also covers `detail_rows.fingerprint`, the shape.
    """

    detail_rows = None

    def retrieve(self, request, *args, **kwargs):
        pk = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        if request.headers.get('If-None-Match'):
            version = self.row_version(pk)
            if version is not None and matches(request, self.row_etag(version)):
                return not_modified(self.row_etag(version), last_modified=newest(version))
        data, version = self.versioned_row(pk)
        return with_validators(Response(data), self.row_etag(version), last_modified=newest(version))

    def row_etag(self, version):
        return strong_etag(self.request, self.detail_rows.fingerprint, version)

    def row_version(self, pk):
        raise NotImplementedError

    def versioned_row(self, pk):
        raise NotImplementedError
