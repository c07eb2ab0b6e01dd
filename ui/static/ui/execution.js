// One execution: its details from GET /job-executions/{id}/ (refreshed with If-None-Match while it runs), and
// its two log streams from the plain-text endpoints.
import { apiFetch, config, describeFailure, errorBody, whileVisible } from './api.js';
import { between, el, fillList, formatDuration, formatTime, statusBadge } from './format.js';
import { LogView } from './logview.js';

const FINAL = ['FAILED', 'COMPLETED', 'CANCELED'];
const id = document.body.dataset.executionId;
const detailsUrl = `/job-executions/${id}/`;
const views = {};
let etag = null;
let finished = false;

const back = document.getElementById('back-to-list');
const savedList = sessionStorage.getItem('scale-ui-list-url');
if (savedList) back.href = savedList;

async function loadDetails() {
  if (finished && etag) return;
  const headers = etag ? { 'If-None-Match': etag } : {};
  let response;
  try {
    response = await apiFetch(detailsUrl, { headers });
  } catch {
    document.getElementById('load-error').textContent = 'The service cannot be reached; retrying…';
    return;
  }
  if (response.status === 304) return;
  const body = await errorBody(response);
  if (!response.ok) {
    document.getElementById('load-error').textContent = response.status === 404
      ? `There is no execution ${id}.` : describeFailure(response, body);
    return;
  }
  document.getElementById('load-error').textContent = '';
  etag = response.headers.get('ETag');
  finished = FINAL.includes(body.status);
  const first = document.getElementById('details').hidden;
  renderDetails(body);
  if (first) active()?.keepInView();  // the details pushed the log down the page
}

function renderDetails(x) {
  const type = x.job?.job_type;
  document.getElementById('title').textContent = `Execution ${x.id}${type ? ` · ${type.title || type.name} ${type.version}` : ''}`;
  document.title = `Execution ${x.id} · Scale job executions`;
  document.getElementById('status').replaceWith(Object.assign(statusBadge(x.status), { id: 'status' }));
  renderTimeline(x);
  const job = x.job || {};
  fillList(document.getElementById('job'), [
    ['Job', job.id], ['Status', job.status], ['Priority', job.priority], ['Executions', job.num_exes],
    ['Tries allowed', job.max_tries], ['Timeout', x.timeout != null ? `${x.timeout} s` : null],
    ['Event', job.event ? `${job.event.id}${job.event.type ? ` (${job.event.type})` : ''}` : null],
    ['Command arguments', x.command_arguments],
  ]);
  fillList(document.getElementById('job-type'), type ? [
    ['Name', type.name], ['Version', type.version], ['Title', type.title], ['Category', type.category],
    ['Id', type.id], ['Description', type.description],
  ] : [['Job type', null]]);
  const node = x.node;
  fillList(document.getElementById('node'), node ? [
    ['Hostname', node.hostname], ['Id', node.id], ['Agent port', node.port], ['Agent id', node.slave_id],
    ['Paused', node.is_paused ? `yes${node.pause_reason ? `: ${node.pause_reason}` : ''}` : 'no'],
  ] : [['Node', 'not scheduled yet']]);
  const error = x.error;
  const errorBox = document.getElementById('error');
  fillList(errorBox, error ? [
    ['Name', error.name], ['Title', error.title], ['Category', error.category], ['Description', error.description],
  ] : [['Error', 'none']]);
  errorBox.closest('section').classList.toggle('has-error', Boolean(error));
  fillList(document.getElementById('resources'), [
    ['CPUs', x.cpus_scheduled], ['Memory', mib(x.mem_scheduled)], ['Disk in', mib(x.disk_in_scheduled)],
    ['Disk out', mib(x.disk_out_scheduled)], ['Disk total', mib(x.disk_total_scheduled)],
  ]);
  const documents = document.getElementById('documents');
  const open = new Set([...documents.querySelectorAll('details[open]')].map((d) => d.dataset.name));
  documents.replaceChildren(...[['environment', 'Environment'], ['results', 'Results'], ['results_manifest', 'Results manifest']]
    .map(([name, label]) => jsonBlock(name, label, x[name], open.has(name))));
  document.getElementById('details').hidden = false;
}

function mib(value) {
  return value == null ? null : `${value} MiB`;
}

function jsonBlock(name, label, value, open) {
  const details = el('details');
  details.dataset.name = name;
  details.open = open;
  const empty = value == null || (typeof value === 'object' && Object.keys(value).length === 0);
  details.append(el('summary', `${label}${empty ? ' (empty)' : ''}`));
  details.append(el('pre', JSON.stringify(value, null, 2), 'json'));
  return details;
}

function renderTimeline(x) {
  const list = document.getElementById('timeline');
  const phases = [
    ['Created', x.created, null, null], ['Queued', x.queued, null, null],
    ['Pre-task', x.pre_started, x.pre_completed, x.pre_exit_code],
    ['Job task', x.job_started, x.job_completed, x.job_exit_code],
    ['Post-task', x.post_started, x.post_completed, x.post_exit_code],
    ['Ended', x.ended, null, null],
  ];
  list.replaceChildren();
  for (const [label, started, completed, exitCode] of phases) {
    const item = el('li');
    const isTask = label.endsWith('task');
    item.className = isTask ? 'task' : 'moment';
    item.append(el('span', label, 'phase'));
    if (!started) {
      item.append(el('span', isTask ? 'not run' : '—', 'muted'));
      item.classList.add('pending');
    } else if (isTask) {
      const running = !completed;
      item.append(el('span', `${formatTime(started)} → ${completed ? formatTime(completed) : 'running'}`, 'when'));
      const duration = el('span', formatDuration(between(started, completed)), 'duration');
      if (running) duration.dataset.runningSince = started;
      item.append(duration);
      if (exitCode != null) item.append(el('span', `exit ${exitCode}`, exitCode === 0 ? 'exit ok' : 'exit bad'));
      if (running) item.classList.add('running');
    } else {
      item.append(el('span', formatTime(started), 'when'));
    }
    list.append(item);
  }
  const total = el('li', null, 'moment');
  total.append(el('span', 'Duration', 'phase'));
  const duration = el('span', formatDuration(between(x.started, x.ended)), 'duration');
  if (x.started && !x.ended) duration.dataset.runningSince = x.started;
  total.append(duration);
  list.append(total);
}

function tick() {
  for (const node of document.querySelectorAll('[data-running-since]')) {
    node.textContent = formatDuration(between(node.dataset.runningSince, null));
  }
}

// Tabs: stdout and stderr, each opened when first shown.
const tabs = [...document.querySelectorAll('[role=tab]')];

function streamOf(tab) {
  return tab.id.replace('tab-', '');
}

function select(stream, targetLine = null) {
  for (const tab of tabs) {
    const selected = streamOf(tab) === stream;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    document.getElementById(`panel-${streamOf(tab)}`).hidden = !selected;
  }
  if (!views[stream]) {
    views[stream] = new LogView(document.getElementById(`panel-${stream}`), {
      executionId: id, stream, pollMs: config.logPollMs, maxLines: config.logMaxLines, onLineLink: linkLine,
    });
    views[stream].open(targetLine);
  } else if (targetLine) views[stream].showLine(targetLine);
}

function linkLine(stream, n) {
  history.replaceState(null, '', `#${stream}-L${n}`);
}

function active() {
  return views[streamOf(tabs.find((tab) => tab.getAttribute('aria-selected') === 'true'))];
}

for (const tab of tabs) {
  tab.addEventListener('click', () => select(streamOf(tab)));
  tab.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    const next = tabs[(tabs.indexOf(tab) + 1) % tabs.length];
    next.focus();
    select(streamOf(next));
  });
}

document.addEventListener('keydown', (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  if (event.target.closest('input, textarea, select, dialog') || event.target.isContentEditable) return;
  const view = active();
  if (!view) return;
  const actions = {
    '/': () => view.search.focus(), f: () => view.toggleFollow(), w: () => view.setWrap(!view.box.classList.contains('wrap'), true),
    g: () => view.toTop(), G: () => view.toBottom(),
  };
  if (actions[event.key]) {
    event.preventDefault();
    actions[event.key]();
  }
});

function fromHash() {
  const match = /^#(stdout|stderr)-L([0-9]+)$/.exec(location.hash);
  return match ? { stream: match[1], line: Number(match[2]) } : null;
}

window.addEventListener('hashchange', () => {
  const target = fromHash();
  if (target) select(target.stream, target.line);
});

const target = fromHash();
select(target ? target.stream : 'stdout', target ? target.line : null);
loadDetails();
whileVisible(config.refreshMs, loadDetails);
setInterval(tick, 1000);
