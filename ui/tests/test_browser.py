"""What an operator sees in the UI, in a real Chromium, against real rows and the stand-in agent.

Every wait is for something the user would see (a row, a line, a message), never a pause.
"""

import hashlib
import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from job.models import JobExecution
from job.tests.factories import at, make_error, make_execution, make_job, make_job_type, make_node
from node.sandbox_agent import start_in_thread

pytestmark = pytest.mark.django_db(transaction=True)

TASK_1 = '/executions/1/task-1/stdout'
TASK_2 = '/executions/1/task-2/stdout'


def is_list_request(r):
    return urlsplit(r.url).path == '/job-executions/'


def row_ids(page):
    return [int(text) for text in page.locator('#executions tbody tr td:first-child').all_inner_texts()]


def log_lines(page, stream='stdout'):
    # textContent: lines scrolled out of view are not rendered (content-visibility), but they are there.
    return page.locator(f'#panel-{stream} .log .line').all_text_contents()


def wait_for_lines(page, expected, stream='stdout'):
    """Until the log shows exactly `expected` (what a reader sees), or fail showing what it shows."""
    page.wait_for_function(
        """([stream, count, last]) => {
            const lines = document.querySelectorAll(`#panel-${stream} .log .line`);
            return lines.length >= count && lines[lines.length - 1].textContent === last;
        }""",
        arg=[stream, len(expected), expected[-1]],
    )
    assert log_lines(page, stream) == expected


def wait_at_log_end(page, stream='stdout'):
    """Until the reader sees the log's last line, or fail showing where the log box is."""
    at_end = """stream => { const box = document.querySelector(`#panel-${stream} .log`);
                              return box.scrollTop + box.clientHeight >= box.scrollHeight - 4; }"""
    try:
        # Polled on a timer: an animation-frame poll waits on frames the busy browser may not draw.
        page.wait_for_function(at_end, arg=stream, polling=100)
    except PlaywrightTimeout:
        where = page.evaluate(
            """stream => { const box = document.querySelector(`#panel-${stream} .log`);
                          return { top: box.scrollTop, height: box.clientHeight, scrollHeight: box.scrollHeight,
                                   chunks: box.childElementCount,
                                   following: document.querySelector(`#panel-${stream} .follow`).ariaPressed }; }""",
            stream,
        )
        pytest.fail(f'the {stream} log is not at its end: {where}')


def assert_accessible(page):
    results = Axe().run(page)
    serious = [v for v in results.response['violations'] if v['impact'] in ('serious', 'critical')]
    assert not serious, [(v['id'], v['help'], [n['target'] for n in v['nodes']][:3]) for v in serious]


@pytest.fixture
def executions():
    raster, vector = make_job_type(name='ndvi', category='raster'), make_job_type(name='tiles', category='vector')
    node = make_node(hostname='node-a.example.com')
    rows = []
    for n in range(6):
        job = make_job(job_type=raster if n % 2 else vector)
        status = ['COMPLETED', 'FAILED', 'RUNNING'][n % 3]
        rows.append(
            make_execution(
                job=job,
                node=node,
                status=status,
                error=make_error(title='Out of memory') if status == 'FAILED' else None,
                ended=None if status == 'RUNNING' else at(5),
                last_modified=at(100 + n),
            )
        )
    return rows


class TestExecutionsList:
    def test_filters_sort_history_and_refresh(self, page, executions, screenshot):
        page.goto('/')
        expect(page.locator('#executions tbody tr')).to_have_count(6)
        assert row_ids(page) == [e.id for e in executions]  # the API's default order: last_modified
        expect(page.locator('#summary')).to_have_text(re.compile(r'^6 executions · page 1 of 1'))
        screenshot(page, 'executions-list')

        page.get_by_label('Failed').check()
        expect(page).to_have_url(re.compile(r'\?status=FAILED$'))
        expect(page.locator('#executions tbody tr')).to_have_count(2)
        assert set(row_ids(page)) == {e.id for e in executions if e.status == 'FAILED'}
        expect(page.locator('#executions tbody')).to_contain_text('Out of memory')

        page.get_by_label('Job type name').fill('ndvi')
        page.get_by_role('button', name='Apply filters').click()
        expect(page).to_have_url(re.compile(r'status=FAILED&job_type_name=ndvi'))
        expect(page.locator('#executions tbody tr')).to_have_count(1)

        page.go_back()  # the previous view, filters and rows
        expect(page.locator('#executions tbody tr')).to_have_count(2)
        expect(page.get_by_label('Job type name')).to_have_value('')
        expect(page.get_by_label('Failed')).to_be_checked()

        page.get_by_role('button', name='Id').click()
        page.get_by_role('button', name='Id').click()  # again: descending
        expect(page).to_have_url(re.compile(r'order=-id'))
        expect(page.locator('th[data-key=id]')).to_have_attribute('aria-sort', 'descending')
        failed = sorted((e.id for e in executions if e.status == 'FAILED'), reverse=True)
        expect(page.locator('#executions tbody tr td:first-child')).to_have_text([str(i) for i in failed])

        page.reload()  # a refresh keeps the view
        expect(page.locator('#executions tbody tr td:first-child')).to_have_text([str(i) for i in failed])
        expect(page.get_by_label('Failed')).to_be_checked()

    def test_several_sort_keys_page_size_and_pages(self, page, executions):
        page.goto('/?order=status')
        expect(page.locator('#executions tbody tr')).to_have_count(6)
        page.get_by_role('button', name='Id').click(modifiers=['Shift'])
        expect(page).to_have_url(re.compile(r'order=status&order=id$'))
        expected = [e.id for e in sorted(executions, key=lambda e: (e.status, e.id))]
        expect(page.locator('#executions tbody tr td:first-child')).to_have_text([str(i) for i in expected])

        page.get_by_label('Page size').select_option('25')
        expect(page).to_have_url(re.compile(r'page_size=25'))
        page.goto('/?page_size=2&order=id')  # page numbers: the API's own page_size is honoured from the URL
        expect(page.locator('#summary')).to_have_text(re.compile('page 1 of 3'))
        page.get_by_role('link', name='Page 3').click()
        expect(page).to_have_url(re.compile(r'page=3'))
        expect(page.locator('#executions tbody tr td:first-child')).to_have_text([str(e.id) for e in executions[4:]])

        page.get_by_label('Cursor pages').check()  # keyset pages for deep browsing
        expect(page.locator('#summary')).to_have_text(re.compile('cursor pages'))
        expect(page.locator('#executions tbody tr td:first-child')).to_have_text([str(e.id) for e in executions[:2]])
        page.get_by_role('link', name='Next ›').click()
        expect(page).to_have_url(re.compile(r'cursor='))
        expect(page.locator('#executions tbody tr td:first-child')).to_have_text([str(e.id) for e in executions[2:4]])

    def test_a_bad_filter_shows_the_apis_words_next_to_it_and_an_empty_result_says_so(
        self, page, executions, screenshot
    ):
        page.goto('/')
        page.get_by_label('Changed since').fill('2015-01-01T00:00:00')
        with page.expect_response(is_list_request) as answer:
            page.get_by_role('button', name='Apply filters').click()
        assert answer.value.status == 400
        expect(page.locator('#error-started')).to_contain_text('has no time zone')
        expect(page.get_by_label('Changed since')).to_have_attribute('aria-invalid', 'true')
        expect(page.locator('#executions tbody tr')).to_have_count(0)
        # Said once the refresh held for the typing is over, and it stays said: never a stale "held".
        expect(page.locator('#updated')).to_contain_text('(the service answered 400)')
        screenshot(page, 'executions-api-error')

        page.get_by_label('Changed since').fill('PT1H')  # a relative time: nothing changed in the last hour
        page.get_by_role('button', name='Apply filters').click()
        expect(page.locator('#empty')).to_be_visible()
        expect(page.locator('#empty')).to_have_text('No executions match these filters.')
        expect(page.locator('#error-started')).to_be_hidden()
        expect(page.locator('#summary')).to_have_text(re.compile(r'^0 executions'))
        screenshot(page, 'executions-empty')

    def test_counts_and_page_numbers_are_grouped_by_thousands(self, page):
        execution = make_execution()
        fields = {f.attname: getattr(execution, f.attname) for f in JobExecution._meta.concrete_fields}
        del fields['id']
        JobExecution.objects.bulk_create([JobExecution(**fields) for _ in range(1233)])
        page.goto('/?page_size=1')
        expect(page.locator('#summary')).to_have_text('1,234 executions · page 1 of 1,234')
        expect(page.get_by_role('link', name='Page 1234')).to_have_text('1,234')

    def test_auto_refresh_asks_with_the_tag_and_gets_a_304_then_shows_a_change(self, page, executions):
        page.goto('/?order=id')
        expect(page.locator('#executions tbody tr')).to_have_count(6)
        with page.expect_response(lambda r: is_list_request(r) and r.status == 304) as answer:
            pass
        assert answer.value.request.headers.get('if-none-match')
        expect(page.locator('#updated')).to_contain_text('no change')
        added = make_execution(status='QUEUED', ended=None)
        expect(page.locator('#executions tbody tr')).to_have_count(7)
        assert row_ids(page)[-1] == added.id

    def test_pause_stops_refreshing(self, page, executions):
        page.goto('/')
        expect(page.locator('#executions tbody tr')).to_have_count(6)
        page.get_by_role('button', name='Pause auto-refresh').click()
        expect(page.get_by_role('button', name='Resume auto-refresh')).to_have_attribute('aria-pressed', 'true')
        make_execution()
        asked = []
        page.on('request', lambda request: asked.append(request.url) if '/job-executions/' in request.url else None)
        # Three turns of the refresh go by.
        page.wait_for_function("() => Number(document.querySelector('#pause').dataset.skipped) >= 3")
        assert asked == [] and page.locator('#executions tbody tr').count() == 6
        with page.expect_response(lambda r: is_list_request(r) and r.status == 200) as answer:
            page.get_by_role('button', name='Resume auto-refresh').click()
        assert answer.value.ok
        expect(page.locator('#executions tbody tr')).to_have_count(7)

    @pytest.mark.parametrize(
        'query',
        [
            '',
            '?status=FAILED&status=&job_type_name=ndvi&job_type_name=a+b~*%C3%A9&order=-id&page_size=25&page_size=50'
            '&ended=2100-01-01T00:00:00Z&unknown=1',
        ],
    )
    def test_the_first_api_request_is_the_one_the_html_preloads(self, page, executions, query):
        first_loads = []  # the list asked without a tag: the preload, and the script's own request if it missed
        page.on(
            'request',
            lambda r: (
                first_loads.append(r) if '/job-executions/' in r.url and 'if-none-match' not in r.headers else None
            ),
        )
        page.goto(f'/{query}')
        shown = (
            [e for e in executions if e.status == 'FAILED' and e.job.job_type.name == 'ndvi'] if query else executions
        )
        expect(page.locator('#executions tbody tr')).to_have_count(len(shown))
        preloaded = page.locator('link[rel=preload][as=fetch]').evaluate('link => link.href')
        assert [r.url for r in first_loads] == [preloaded]  # asked once: the script's fetch took the preload's answer

    def test_the_list_is_accessible_in_light_and_dark(self, page, executions, screenshot):
        page.goto('/')
        expect(page.locator('#executions tbody tr')).to_have_count(6)
        assert_accessible(page)
        page.emulate_media(color_scheme='dark')
        assert_accessible(page)
        screenshot(page, 'executions-list-dark')


class TestAssets:
    def test_pages_forbid_inline_script_and_assets_are_hashed_and_cached_long(self, page, ui_server):
        response = page.goto('/')
        policy = response.headers['content-security-policy']
        assert "script-src 'self'" in policy and 'unsafe' not in policy
        scripts = page.locator('script[type=module]').get_attribute('src')
        assert re.fullmatch(r'/static/ui/executions\.[0-9a-f]{12}\.js', scripts)
        asset = page.request.get(scripts)
        assert asset.ok and 'immutable' in asset.headers['cache-control']
        assert re.search(r'max-age=\d{8,}', asset.headers['cache-control'])
        # The modules it imports were rewritten to their hashed names too.
        assert re.search(r'from\s*"\./api\.[0-9a-f]{12}\.js"', asset.text())


@pytest.fixture
def agent(tmp_path):
    server = start_in_thread(tmp_path)
    yield server
    server.shutdown()
    server.server_close()


def agent_url(agent, path):
    host, port = agent.server_address[:2]
    return f'http://{host}:{port}/files/download.json?path={path}'


def append(root, path, text):
    file = root / path.lstrip('/')
    file.parent.mkdir(parents=True, exist_ok=True)
    with open(file, 'ab') as out:
        out.write(text if isinstance(text, bytes) else text.encode())


def numbered(start, stop, prefix='line'):
    return [f'{prefix} {n} é€😀' for n in range(start, stop)]


class TestExecutionPage:
    def test_a_followed_log_shows_each_line_once_across_task_end_agent_outage_and_restart(
        self, page, ui_server, agent, tmp_path, screenshot
    ):
        root = tmp_path
        host, port = agent.server_address[:2]
        node = make_node(hostname=host, port=port)
        stored = 'task 0 ended\n'
        append(root, TASK_1, '\n'.join(numbered(0, 5)) + '\n')
        execution = make_execution(
            status='RUNNING',
            node=node,
            ended=None,
            job_completed=None,
            post_started=None,
            post_completed=None,
            stdout=stored,
            stderr='',
            current_stdout_url=agent_url(agent, TASK_1),
            current_stderr_url=None,
        )
        page.goto(f'/ui/executions/{execution.id}/')
        expected = ['task 0 ended', *numbered(0, 5)]
        wait_for_lines(page, expected)

        # The file grows; a line is written in two pieces, a character split between them.
        append(root, TASK_1, ('\n'.join(numbered(5, 10)) + '\nsplit ').encode() + 'é'.encode()[:1])
        expect(page.locator('#panel-stdout .log .line').last).to_have_text('split ')
        append(root, TASK_1, 'é'.encode()[1:] + b' whole\n')
        expected += [*numbered(5, 10), 'split é whole']
        wait_for_lines(page, expected)
        screenshot(page, 'execution-running')

        # The task ends: its file joins the stored column; the next task writes its own file.
        task_1 = (root / TASK_1.lstrip('/')).read_text()
        append(root, TASK_2, 'task 2 starts\n')
        JobExecution.objects.filter(pk=execution.pk).update(
            stdout=stored + task_1, current_stdout_url=agent_url(agent, TASK_2)
        )
        expected += ['task 2 starts']
        wait_for_lines(page, expected)

        # The agent goes away; the task goes on writing; the agent comes back on its port.
        agent.shutdown()
        agent.server_close()
        append(root, TASK_2, 'written while the agent was away\n')
        expect(page.locator('#panel-stdout .log-status')).to_contain_text('cannot be read from its agent')
        back = start_in_thread(root, host, port)
        try:
            expected += ['written while the agent was away']
            wait_for_lines(page, expected)

            # The service restarts.
            ui_server.stop()
            append(root, TASK_2, 'written while the service restarted\n')
            expect(page.locator('#panel-stdout .log-status')).to_contain_text('cannot be reached')
            ui_server.start()
            expected += ['written while the service restarted']
            wait_for_lines(page, expected)

            # The execution finishes: the follow stops by itself.
            task_2 = (root / TASK_2.lstrip('/')).read_text()
            JobExecution.objects.filter(pk=execution.pk).update(
                status='COMPLETED', stdout=stored + task_1 + task_2, current_stdout_url=None, ended=at(9)
            )
            expect(page.locator('#panel-stdout')).to_have_attribute('data-done', 'true')
            expect(page.locator('#panel-stdout .log-status')).to_contain_text('finished')
            assert log_lines(page) == expected
        finally:
            back.shutdown()
            back.server_close()

    def test_follow_leaves_a_reader_who_scrolled_up_where_they_are(self, page, ui_server, agent, tmp_path):
        host, port = agent.server_address[:2]
        append(tmp_path, TASK_1, '\n'.join(numbered(0, 300)) + '\n')
        execution = make_execution(
            status='RUNNING',
            node=make_node(hostname=host, port=port),
            ended=None,
            stdout='',
            current_stdout_url=agent_url(agent, TASK_1),
        )
        page.goto(f'/ui/executions/{execution.id}/')
        wait_for_lines(page, numbered(0, 300))
        log = page.locator('#panel-stdout .log')
        log.evaluate('box => { box.scrollTop = 0; }')  # the reader goes up to read
        expect(page.locator('#panel-stdout .follow')).to_have_attribute('aria-pressed', 'false')
        append(tmp_path, TASK_1, '\n'.join(numbered(300, 303)) + '\n')
        new_lines = page.get_by_role('button', name='3 new lines')
        expect(new_lines).to_be_visible()
        assert log.evaluate('box => box.scrollTop') == 0  # not dragged down
        new_lines.click()
        expect(new_lines).to_be_hidden()
        expect(page.locator('#panel-stdout .follow')).to_have_attribute('aria-pressed', 'true')
        wait_at_log_end(page)

        page.get_by_role('button', name='Wrap lines').click()  # remembered across pages
        page.reload()
        expect(page.locator('#panel-stdout button.wrap')).to_have_attribute('aria-pressed', 'true')
        expect(log).to_have_class(re.compile(r'\bwrap\b'))

    def test_markup_in_a_log_is_text_and_runs_nothing(self, page, ui_server):
        lines = [
            '<script>window.ran = "script"</script>',
            '<img src=x onerror="window.ran = \'img\'">',
            '<b>not bold</b>',
        ]
        execution = make_execution(stdout='\n'.join(lines) + '\n')
        page.goto(f'/ui/executions/{execution.id}/')
        wait_for_lines(page, lines)
        assert page.evaluate('window.ran') is None
        assert page.locator('#panel-stdout .log img, #panel-stdout .log script, #panel-stdout .log b').count() == 0

    def test_ansi_colours_are_colours_and_other_escapes_go(self, page, ui_server):
        execution = make_execution(
            stdout='plain \x1b[31mred\x1b[0m done\n\x1b]0;title\x07\x1b[2Kcleared\n'
            'progress 10%\rprogress 50%\rprogress 100%\n'
        )
        page.goto(f'/ui/executions/{execution.id}/')
        wait_for_lines(page, ['plain red done', 'cleared', 'progress 100%'])
        red = page.locator('#panel-stdout .log span', has_text='red')
        r, g, b = map(int, re.findall(r'\d+', red.evaluate('node => getComputedStyle(node).color'))[:3])
        assert r > 150 and g < 90 and b < 90

    def test_a_line_link_opens_highlighted_and_a_click_on_a_number_makes_one(self, page, ui_server, screenshot):
        lines = [f'line {n}' for n in range(1, 3001)]
        execution = make_execution(stdout='\n'.join(lines) + '\n')
        page.goto(f'/ui/executions/{execution.id}/#stdout-L1200')
        target = page.locator('#panel-stdout .line.target')
        expect(target).to_have_text('line 1200')
        expect(target).to_be_in_viewport()
        screenshot(page, 'execution-line-link')

        line = page.locator('#panel-stdout .line', has_text=re.compile(r'^line 1190$'))
        box = line.bounding_box()
        page.mouse.click(box['x'] + 10, box['y'] + box['height'] / 2)  # on its number
        expect(page).to_have_url(re.compile(r'#stdout-L1190$'))
        expect(target).to_have_text('line 1190')
        # The numbers are not part of the text a reader copies.
        assert (
            page.evaluate("""() => {
            const line = [...document.querySelectorAll('#panel-stdout .line')][1189];
            const range = document.createRange(); range.selectNodeContents(line);
            getSelection().removeAllRanges(); getSelection().addRange(range);
            return getSelection().toString();
        }""")
            == 'line 1190'
        )

    def test_search_counts_and_filters(self, page, ui_server, screenshot):
        lines = [f'{"ERROR disk full" if n % 7 == 0 else "INFO ok"} {n} error' for n in range(1, 701)]
        execution = make_execution(stdout='\n'.join(lines) + '\n')
        page.goto(f'/ui/executions/{execution.id}/')
        wait_for_lines(page, lines)
        page.keyboard.press('/')
        expect(page.get_by_label('Search stdout')).to_be_focused()
        page.keyboard.type('error')
        # Case-insensitive: each line's trailing "error", plus "ERROR" on every 7th line.
        expect(page.locator('#count-stdout')).to_have_text('match 1 of 800 matches in the loaded 700 lines')
        panel = page.locator('#panel-stdout')
        panel.get_by_label('Regex').check()
        page.get_by_label('Search stdout').fill(r'ERROR disk \w+ (7|14)\b')
        expect(page.locator('#count-stdout')).to_have_text('match 1 of 2 matches in the loaded 700 lines')
        panel.get_by_label('Matching lines only').check()
        expect(page.locator('#panel-stdout .line:visible')).to_have_count(2)
        panel.get_by_role('button', name='Next match').click()
        expect(page.locator('#count-stdout')).to_have_text(re.compile('^match 2 of 2'))
        screenshot(page, 'execution-search')

    def test_the_download_is_the_whole_stream(self, page, ui_server, settings):
        settings.LOGS_MAX_BYTES = 4096  # far less than the stream: the download is more than one answer
        log = ''.join(f'{n} {"é" * (n % 13)}😀\n' for n in range(3000))
        execution = make_execution(stdout=log, stderr='err\n')
        page.goto(f'/ui/executions/{execution.id}/')
        expect(page.locator('#panel-stdout .log-status')).to_contain_text('finished')
        with page.expect_download() as download:
            page.get_by_role('link', name='Download stdout').click()
        path = download.value.path()
        assert download.value.suggested_filename == f'execution-{execution.id}-stdout.log'
        assert hashlib.sha256(open(path, 'rb').read()).hexdigest() == hashlib.sha256(log.encode()).hexdigest()

    def test_the_page_is_accessible_and_shows_details(self, page, ui_server, screenshot):
        execution = make_execution(
            status='FAILED',
            node=make_node(hostname='node-b.example.com'),
            error=make_error(title='Disk full'),
            job_exit_code=2,
            stdout='\x1b[32mok\x1b[0m step 1\n\x1b[31mfailed\x1b[0m step 2\n',
            stderr='Traceback: disk full\n',
        )
        page.goto(f'/ui/executions/{execution.id}/')
        expect(page.locator('#node')).to_contain_text('node-b.example.com')
        expect(page.locator('#error')).to_contain_text('Disk full')
        expect(page.locator('#timeline')).to_contain_text('exit 2')
        expect(page.get_by_role('link', name='Raw JSON of this execution')).to_have_attribute(
            'href', f'/job-executions/{execution.id}/?format=json'
        )
        wait_for_lines(page, ['ok step 1', 'failed step 2'])
        page.get_by_role('tab', name='stderr').click()
        wait_for_lines(page, ['Traceback: disk full'], stream='stderr')
        page.get_by_role('tab', name='stdout').click()
        assert_accessible(page)
        screenshot(page, 'execution-details', full_page=True)
        page.emulate_media(color_scheme='dark')
        assert_accessible(page)
        screenshot(page, 'execution-details-dark', full_page=True)


class TestTokens:
    def test_the_token_is_asked_once_kept_for_the_tab_and_asked_again_on_401(
        self, page, executions, settings, screenshot
    ):
        token = 'operator-token-0123456789'
        settings.API_TOKENS = [token]
        page.goto('/')
        dialog = page.get_by_role('dialog', name='API token needed')
        expect(dialog).to_be_visible()
        expect(page.get_by_label('API token', exact=True)).to_be_focused()
        screenshot(page, 'token-prompt')
        page.get_by_label('API token', exact=True).fill(token)
        page.get_by_role('button', name='Use this token').click()
        expect(page.locator('#executions tbody tr')).to_have_count(6)
        assert page.evaluate("sessionStorage.getItem('scale-ui-api-token')") == token
        assert token not in page.evaluate('JSON.stringify(localStorage)')
        with page.expect_request(lambda r: '/job-executions/' in r.url) as sent:
            page.get_by_role('link', name=f'Execution {executions[0].id}').click()
        assert sent.value.headers['authorization'] == f'Token {token}'
        assert token not in page.url and token not in sent.value.url
        expect(page.locator('#details')).to_be_visible()  # the token carried over to the next page

        settings.API_TOKENS = ['another-token-0123456789']  # the service's tokens change: asked again
        page.goto('/')
        expect(page.get_by_role('dialog', name='API token needed')).to_contain_text('refused that token')


def line_top(page, text, stream='stdout'):
    """Where the line reading `text` is, in pixels from the top of the log's visible area."""
    return page.locator(f'#panel-{stream} .line', has_text=re.compile(f'^{re.escape(text)}$')).evaluate(
        'line => line.getBoundingClientRect().top - line.closest(".log").getBoundingClientRect().top'
    )


def byte_offset(lines, n):
    """Where line `n` (0-based) of a log of `lines` starts, in bytes."""
    return sum(len(line.encode()) + 1 for line in lines[:n])


class TestLogViewer:
    # Also with answers capped below the chunk it asks for: a chunk then takes several reads.
    @pytest.mark.parametrize('max_bytes', [None, 100_000])
    def test_load_earlier_reads_back_in_chunks_to_the_start_and_keeps_the_readers_place(
        self, page, ui_server, settings, max_bytes
    ):
        if max_bytes:
            settings.LOGS_MAX_BYTES = max_bytes
        # About 700 KB: the tail's 1,000 lines start far in, and 256 KiB chunks take three reads to the start.
        lines = [f'line {n:05} é' for n in range(50_000)]
        log = '\n'.join(lines) + '\n'
        execution = make_execution(stdout=log)
        reads = []
        page.on('response', lambda r: reads.append(r) if f'/{execution.id}/logs/stdout/?' in r.url else None)
        page.goto(f'/ui/executions/{execution.id}/')
        wait_for_lines(page, lines[-1000:])
        tail_start = int(reads[0].headers['x-log-start'])
        assert tail_start == byte_offset(lines, len(lines) - 1000)

        earlier = page.get_by_role('button', name='Load earlier')
        loaded_from = tail_start
        for scrolled in [0, 200, 0]:
            # The reader is at the top of what is loaded, or a little way down: the line they look at stays where
            # it is on the screen while the earlier lines go in above it.
            page.locator('#panel-stdout .log').evaluate('(box, top) => { box.scrollTop = top; }', scrolled)
            first = log_lines(page)[0]
            watched = log_lines(page)[15]
            top = line_top(page, watched)
            with page.expect_request(lambda r: 'limit=' in r.url) as asked:
                earlier.click()
            query = dict(part.split('=') for part in asked.value.url.split('?')[1].split('&'))
            assert int(query['offset']) + int(query['limit']) == loaded_from  # the bytes just before, no gap
            page.wait_for_function(
                "first => document.querySelector('#panel-stdout .log .line').textContent !== first", arg=first
            )
            shown = log_lines(page)
            assert shown == lines[-len(shown) :]  # whole lines, each once, in order, ending where they did
            assert abs(line_top(page, watched) - top) <= 1
            loaded_from = byte_offset(lines, len(lines) - len(shown))
        assert loaded_from == 0
        assert len(reads) == 4 if not max_bytes else len(reads) > 4  # the tail, then three chunks of one read or more
        expect(earlier).to_be_hidden()
        assert log_lines(page) == lines
        expect(page.locator('#panel-stdout .log-status')).to_have_text('The log is loaded from its start.')

        # From the start, lines carry their real numbers: a click on one's number (10 px into the gutter, once
        # Playwright sees the line hold still) links to it.
        page.locator('#panel-stdout .line', has_text=re.compile(r'^line 00009 é$')).click(position={'x': 10, 'y': 9})
        expect(page).to_have_url(re.compile(r'#stdout-L10$'))

    def test_past_the_line_cap_a_banner_says_so_and_links_the_whole_download(self, page, ui_server, settings):
        settings.UI_LOG_MAX_LINES = 700
        log = ''.join(f'line {n} é\n' for n in range(1, 1501))
        execution = make_execution(stdout=log)
        page.goto(f'/ui/executions/{execution.id}/')
        # The tail is lines 501-1500; its oldest block of 500 lines leaves the page.
        wait_for_lines(page, [f'line {n} é' for n in range(1001, 1501)])
        banner = page.locator('#panel-stdout .banner')
        expect(banner).to_have_text(
            'To stay responsive the page keeps the last 700 lines: 500 earlier lines were let go. '
            'Download the whole log.'
        )
        expect(page.get_by_role('button', name='Load earlier')).to_be_hidden()
        with page.expect_download() as download:
            banner.get_by_role('link', name='Download the whole log').click()
        assert download.value.suggested_filename == f'execution-{execution.id}-stdout.log'
        with open(download.value.path(), 'rb') as saved:
            assert hashlib.sha256(saved.read()).hexdigest() == hashlib.sha256(log.encode()).hexdigest()

    def test_keys_search_follow_wrap_top_and_bottom(self, page, ui_server):
        lines = [f'line {n} ' + 'wide ' * 40 for n in range(1, 3001)]
        execution = make_execution(stdout='\n'.join(lines) + '\n')
        page.goto(f'/ui/executions/{execution.id}/')
        page.wait_for_function("() => document.querySelector('#panel-stdout').dataset.done === 'true'")
        log = page.locator('#panel-stdout .log')
        follow = page.locator('#panel-stdout button.follow')
        wrap = page.locator('#panel-stdout button.wrap')
        at_bottom = """() => { const box = document.querySelector('#panel-stdout .log');
                               return box.scrollTop > 0 && box.scrollTop + box.clientHeight >= box.scrollHeight - 4; }"""
        page.wait_for_function(at_bottom)
        log.scroll_into_view_if_needed()  # the whole log box in the window, so "in viewport" means in the box's view

        page.keyboard.press('/')
        expect(page.get_by_label('Search stdout')).to_be_focused()
        page.keyboard.press('Escape')  # out of the search box: keys are commands again
        expect(page.get_by_label('Search stdout')).not_to_be_focused()

        expect(follow).to_have_attribute('aria-pressed', 'true')
        page.keyboard.press('f')
        expect(follow).to_have_attribute('aria-pressed', 'false')
        page.keyboard.press('f')
        expect(follow).to_have_attribute('aria-pressed', 'true')

        expect(wrap).to_have_attribute('aria-pressed', 'false')
        page.keyboard.press('w')
        expect(wrap).to_have_attribute('aria-pressed', 'true')
        expect(log).to_have_class(re.compile(r'\bwrap\b'))
        assert log.evaluate('box => box.scrollWidth <= box.clientWidth')  # long lines wrap: no sideways scroll
        page.keyboard.press('w')
        expect(wrap).to_have_attribute('aria-pressed', 'false')
        expect(log).not_to_have_class(re.compile(r'\bwrap\b'))

        page.keyboard.press('g')
        page.wait_for_function("() => document.querySelector('#panel-stdout .log').scrollTop === 0")
        expect(follow).to_have_attribute('aria-pressed', 'false')
        expect(page.locator('#panel-stdout .line').first).to_be_in_viewport()
        page.keyboard.press('G')
        page.wait_for_function(at_bottom)
        expect(follow).to_have_attribute('aria-pressed', 'true')
        expect(page.locator('#panel-stdout .line').last).to_be_in_viewport()
