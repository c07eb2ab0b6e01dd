"""Under CI=true a test skipped for want of a real service fails the run; other skips, and any skip outside CI,
stay skips. Each skip is listed with its reason (-rs)."""

import subprocess
import sys

import pytest

from scale.tests.processes import ROOT

TESTS = """
import pytest

def test_needs_redis():
    pytest.skip('redis-server is not installed')

def test_needs_the_browser():
    pytest.skip('/usr/bin/chromium is missing: scripts/install-test-services installs it')

@pytest.mark.skipif(True, reason='runs in the PostgreSQL pass')
def test_for_the_other_pass():
    pass
"""


@pytest.mark.parametrize('ci, summary', [('true', '2 failed, 1 skipped'), ('', '3 skipped')])
def test_a_skip_for_a_missing_service_fails_only_under_ci(tmp_path, ci, summary):
    (tmp_path / 'test_skips.py').write_text(TESTS)
    result = subprocess.run(
        [
            sys.executable,
            '-m',
            'pytest',
            '-p',
            'scale.tests.ci_skips',
            '-p',
            'no:django',
            '-p',
            'no:cacheprovider',
            '-c',
            '/dev/null',
            '--rootdir',
            str(tmp_path),
            '-rs',
            str(tmp_path),
        ],
        cwd=ROOT,
        env={'PATH': '/usr/bin:/bin', 'CI': ci},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert summary in result.stdout, result.stdout
    assert 'runs in the PostgreSQL pass' in result.stdout
    if ci:
        assert (
            'CI=true needs every real service, but this test was skipped: Skipped: redis-server is not installed'
            in result.stdout
        )
