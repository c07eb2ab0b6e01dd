"""`make bench-ui`: the UI in headless Chromium against gunicorn, a stand-in agent and a throwaway PostgreSQL.

Prints, for a running execution whose log has 200,000 lines (about 20 MiB) on the stand-in agent: the time from
opening its page to the tail shown, the time to catch up after a burst of 50,000 new lines, the longest
main-thread task while following, and the JavaScript heap; the same once all 250,000 lines are loaded. Then,
at N executions, the time to the first rows of the list page next to the JSON request alone (the floor),
median of several runs each.
"""

import argparse
import http.client
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'scale.settings')
os.environ.setdefault('SECRET_KEY', 'bench-only-secret-key')
os.environ.setdefault('DATABASE_STATEMENT_TIMEOUT', '0')

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from bench import dataset  # noqa: E402
from bench.run import machine  # noqa: E402
from bench.server import Gunicorn  # noqa: E402
from job.models import JobExecution  # noqa: E402
from node.models import Node  # noqa: E402
from node.sandbox_agent import start_in_thread  # noqa: E402

CHROMIUM_FLAGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
]
TASK_FILE = '/bench/task/stdout'
JSON_PAGE = '/job-executions/?format=json'
ROWS = '#executions tbody tr'
# Long tasks (over 50 ms) of the page's main thread, recorded from the start.
LONG_TASKS = """
window.__longest = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__longest = Math.max(window.__longest, entry.duration);
}).observe({ type: 'longtask', buffered: true });
"""


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--lines', type=int, default=200_000)
    parser.add_argument('--burst', type=int, default=50_000)
    parser.add_argument('--executions', type=int, default=1_000_000)
    parser.add_argument('--runs', type=int, default=5, help='page loads per list measurement')
    parser.add_argument('--list-only', action='store_true', help='leave out the log figures')
    return parser.parse_args()


def log_line(n):
    # About 100 bytes, some with colour, as build output looks.
    colour = '\x1b[32mOK\x1b[0m' if n % 10 else '\x1b[31mWARN\x1b[0m'
    return f'2026-11-30T12:00:{n % 60:02}Z step {n:>7} {colour} processing tile {n * 7919 % 100000:05} of the scene é\n'


def append_lines(path, start, stop):
    with open(path, 'a', encoding='utf-8') as file:
        file.write(''.join(log_line(n) for n in range(start, stop)))


def heap_mb(page):
    session = page.context.new_cdp_session(page)
    session.send('HeapProfiler.collectGarbage')
    session.send('Performance.enable')
    metrics = {m['name']: m['value'] for m in session.send('Performance.getMetrics')['metrics']}
    session.detach()
    return metrics['JSHeapUsedSize'] / 1e6


def wait_for_last_line(page, text, timeout=600_000):
    page.wait_for_function(
        """(text) => { const lines = document.querySelectorAll('#panel-stdout .line');
                       return lines.length && lines[lines.length - 1].textContent === text; }""",
        arg=text,
        timeout=timeout,
        polling=50,
    )


def logs_figures(browser, base, execution_id, task_path, lines, burst):
    figures = {}
    context = browser.new_context(base_url=base, viewport={'width': 1400, 'height': 900})
    context.add_init_script(LONG_TASKS)
    page = context.new_page()
    started = time.perf_counter()
    page.goto(f'/ui/executions/{execution_id}/', wait_until='commit')
    wait_for_last_line(page, plain(log_line(lines - 1)))
    figures['tail shown'] = time.perf_counter() - started
    figures['longest task while opening'] = page.evaluate('window.__longest') / 1000
    page.evaluate('window.__longest = 0')
    append_lines(task_path, lines, lines + burst)
    started = time.perf_counter()
    last = plain(log_line(lines + burst - 1))
    wait_for_last_line(page, last)
    figures[f'caught up after {burst:,} new lines'] = time.perf_counter() - started
    figures['longest task while following'] = page.evaluate('window.__longest') / 1000
    figures['lines loaded (tail and burst)'] = page.locator('#panel-stdout .line').count()
    figures['JS heap, tail and burst (MB)'] = heap_mb(page)
    context.close()

    # Everything from the first line: a link to line 1 loads the stream from its start, then follows.
    context = browser.new_context(base_url=base, viewport={'width': 1400, 'height': 900})
    context.add_init_script(LONG_TASKS)
    page = context.new_page()
    started = time.perf_counter()
    page.goto(f'/ui/executions/{execution_id}/#stdout-L1', wait_until='commit')
    wait_for_last_line(page, last)
    figures[f'all {lines + burst:,} lines loaded'] = time.perf_counter() - started
    figures['longest task while loading them'] = page.evaluate('window.__longest') / 1000
    figures['lines loaded (all)'] = page.locator('#panel-stdout .line').count()
    figures['JS heap, all lines (MB)'] = heap_mb(page)
    started = time.perf_counter()
    page.keyboard.press('/')
    page.keyboard.type('WARN')
    page.wait_for_function("() => document.querySelector('#count-stdout').textContent.includes('matches')", polling=20)
    figures['search over all lines'] = time.perf_counter() - started
    context.close()
    return figures


def plain(line):
    for escape in ('\x1b[32m', '\x1b[31m', '\x1b[0m'):
        line = line.replace(escape, '')
    return line.rstrip('\n')


def shown_in_fresh_page(browser, base, url, selector, document=None):
    """Seconds from opening `url` in a fresh browser context (no cached assets, no open connections) until an element
    matching `selector` is visible, as the user sees it: laid out, not only parsed. With `document` (a function of
    the served HTML), the page's own HTML is passed through Playwright and replaced by what that returns."""
    context = browser.new_context(base_url=base)
    if document:
        # A pattern, not a function: Playwright's driver matches it, so no other request detours through Python.
        only_the_page = re.compile(f'^{re.escape(base + url)}$')
        context.route(only_the_page, lambda route: served_as(route, document))
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url, wait_until='commit')
    page.wait_for_selector(selector, timeout=120_000)
    elapsed = time.perf_counter() - started
    context.close()
    return elapsed


def served_as(route, document):
    response = route.fetch()
    route.fulfill(response=response, body=document(response.text()))


def loaded_in_fresh_page(browser, base, url):
    """Seconds from opening `url` in a fresh browser context to its load event (before anything is drawn)."""
    context = browser.new_context(base_url=base)
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url, wait_until='load')
    elapsed = time.perf_counter() - started
    context.close()
    return elapsed


def prerendered_list(browser, base):
    """The list page as the browser shows it once its rows are in, without its scripts and preloads: what the same
    page would be if the server had rendered the rows into its HTML (the stylesheet stays a request, as it is)."""
    context = browser.new_context(base_url=base)
    page = context.new_page()
    page.goto('/')
    page.wait_for_selector('#executions tbody tr')
    html = page.evaluate("() => '<!doctype html>' + document.documentElement.outerHTML")
    context.close()
    html = re.sub(r'<script\b[^>]*>.*?</script>', '', html, flags=re.S)
    return re.sub(r'<link rel="(?:modulepreload|preload)"[^>]*>', '', html)


def as_is(html):
    return html


def list_figures(browser, base, port, runs):
    """Medians of: the JSON request alone from Python; the same request opened in a fresh browser page, until its
    load event and until its text is shown (the floor: what a browser pays to show the answer alone); and the list
    page in a fresh browser page until its first rows are shown. The floor and the page end on the same event, an
    element Playwright sees visible, and are measured in turn, run by run.

    Then three more, their HTML passed through Playwright so that they pay the same detour: the floor, the list
    page, and the list page pre-rendered (`prerendered_list`), which no script or request of the page's could beat.
    """
    prerendered = prerendered_list(browser, base)
    samples = {name: [] for name in ('raw', 'loaded', 'floor', 'page', 'routed floor', 'routed page', 'prerendered')}
    for _ in range(runs):
        started = time.perf_counter()
        connection = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
        connection.request('GET', '/job-executions/', headers={'Accept': 'application/json'})
        connection.getresponse().read()
        connection.close()
        samples['raw'].append(time.perf_counter() - started)
        samples['loaded'].append(loaded_in_fresh_page(browser, base, JSON_PAGE))
        samples['floor'].append(shown_in_fresh_page(browser, base, JSON_PAGE, 'pre'))  # Chromium shows JSON in a <pre>
        samples['page'].append(shown_in_fresh_page(browser, base, '/', ROWS))
        samples['routed floor'].append(shown_in_fresh_page(browser, base, JSON_PAGE, 'pre', as_is))
        samples['routed page'].append(shown_in_fresh_page(browser, base, '/', ROWS, as_is))
        samples['prerendered'].append(shown_in_fresh_page(browser, base, '/', ROWS, lambda html: prerendered))
    return {name: statistics.median(times) for name, times in samples.items()}


def shown(name, value):
    if name.startswith('longest task') and value == 0:
        return 'none over 50 ms (the shortest a long task is)'
    if isinstance(value, int):
        return f'{value:,}'
    return f'{value:,.1f}' if 'MB' in name else f'{value:,.3f} s'


def main():
    arguments = parse_arguments()
    call_command('migrate', verbosity=0)
    call_command('collectstatic', interactive=False, verbosity=0)
    print(f'Machine: {machine()}')
    with tempfile.TemporaryDirectory() as root:
        agent = start_in_thread(Path(root))
        host, port = agent.server_address[:2]
        task_path = Path(root) / TASK_FILE.lstrip('/')
        task_path.parent.mkdir(parents=True)
        append_lines(task_path, 0, arguments.lines)
        print(f'Log file: {arguments.lines:,} lines, {task_path.stat().st_size / 2**20:.1f} MiB')
        dataset.generate(arguments.executions)
        dataset.analyze()
        node = Node.objects.create(hostname=host, port=port, slave_id='bench-agent')
        execution = JobExecution.objects.order_by('id').first()
        JobExecution.objects.filter(pk=execution.pk).update(
            status='RUNNING',
            ended=None,
            node=node,
            stdout='',
            stderr='',
            current_stdout_url=f'http://{host}:{port}/files/download.json?path={TASK_FILE}',
        )
        environment = {'LOGS_THROTTLE_RATE': '100000/min', 'UI_LOG_POLL_SECONDS': '1'}
        with Gunicorn(**environment) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path='/usr/bin/chromium', args=CHROMIUM_FLAGS)
            base = f'http://127.0.0.1:{server.port}'
            logs = (
                {}
                if arguments.list_only
                else logs_figures(browser, base, execution.id, task_path, arguments.lines, arguments.burst)
            )
            for name, value in logs.items():
                print(f'{name:45} {shown(name, value)}')
            figures = {name: ms * 1000 for name, ms in list_figures(browser, base, server.port, arguments.runs).items()}
            print(
                f'list at {arguments.executions:,} executions (medians of {arguments.runs}): the JSON request from '
                f'Python {figures["raw"]:,.0f} ms; opened in a fresh browser page, {figures["loaded"]:,.0f} ms to its '
                f'load event and {figures["floor"]:,.0f} ms to its text shown (the floor); the list page to its first '
                f'rows shown {figures["page"]:,.0f} ms: {figures["page"] / figures["floor"]:.2f}x the floor '
                f'({figures["page"] / figures["loaded"]:.2f}x the load event)'
            )
            floor = figures['routed floor']
            print(
                f'with their HTML passed through Playwright: the floor {floor:,.0f} ms; the list page '
                f'{figures["routed page"]:,.0f} ms ({figures["routed page"] / floor:.2f}x); the list page pre-rendered '
                f'(its rows in its HTML, no scripts) {figures["prerendered"]:,.0f} ms '
                f'({figures["prerendered"] / floor:.2f}x)'
            )
            browser.close()
        agent.shutdown()


if __name__ == '__main__':
    main()
