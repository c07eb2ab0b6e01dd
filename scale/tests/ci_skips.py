"""A pytest plugin (loaded by the root conftest.py): under CI=true, a test skipped because a real service is
missing fails the run instead, so CI cannot pass without running what needs PostgreSQL, a replica, Redis or
the browser.

The convention: such a skip says so in its reason, e.g. "redis-server is not installed", "/usr/bin/chromium is
missing", "could not import 'playwright'". Skips for another reason ("runs in the PostgreSQL pass") stay skips.
"""

import os
import re

import pytest

MISSING_SERVICE = re.compile(
    r'not installed|not available|unavailable|is missing|cannot be started|could not import', re.I
)


def skip_reason(report):
    longrepr = report.longrepr
    return longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get('CI', '').lower() == 'true' and MISSING_SERVICE.search(skip_reason(report)):
        report.outcome = 'failed'
        report.longrepr = f'CI=true needs every real service, but this test was skipped: {skip_reason(report)}'
