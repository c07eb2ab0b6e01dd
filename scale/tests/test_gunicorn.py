"""The committed gunicorn configuration starts the app and serves its static assets without a CDN."""
import requests


def test_gunicorn_serves_the_app_and_its_static_assets(start_gunicorn):
    base = start_gunicorn()
    missing = requests.get(f'{base}/no-such-endpoint/', timeout=5)
    assert missing.status_code == 404
    assert missing.json() == {'detail': 'Not found.'}
    css = requests.get(f'{base}/static/rest_framework/css/bootstrap.min.css', timeout=5)
    assert css.status_code == 200
    assert css.headers['Content-Type'].startswith('text/css')
