// The executions list: every filter, sort and page of GET /job-executions/, all of it kept in the page's URL.
import { apiFetch, config, describeFailure, errorBody, whileVisible } from './api.js';
import { between, el, formatDuration, formatTime, grouped, statusBadge } from './format.js';

const API = '/job-executions/';
const LIST_KEY = 'scale-ui-list-url';
const MULTI = ['status', 'job_type_id', 'job_type_name', 'job_type_category', 'node_id', 'order'];
const SINGLE = ['started', 'ended', 'page_size', 'page', 'pagination', 'cursor'];
const TEXT_FILTERS = ['job_type_id', 'job_type_name', 'job_type_category', 'node_id', 'started', 'ended'];
const SPLIT = { job_type_id: /[\s,]+/, node_id: /[\s,]+/, job_type_name: /,/, job_type_category: /,/ };
const DEFAULT_PAGE_SIZE = '100';

const form = document.getElementById('filters');
const table = document.getElementById('executions');
const tbody = table.querySelector('tbody');
const summary = document.getElementById('summary');
const empty = document.getElementById('empty');
const pages = document.getElementById('pages');
const updated = document.getElementById('updated');
const pause = document.getElementById('pause');

let shown = { query: null, etag: null };
let lastTyped = 0;
let paused = false;
let loading = null;

// The page's query, cleaned to what the API takes: the same names, so a view's URL is the API's. The page's HTML
// preloads listUrl(currentQuery()), made the same way by ui/views.py (list_api_url): keep the two alike.
function currentQuery() {
  const from = new URLSearchParams(location.search);
  const query = new URLSearchParams();
  for (const name of MULTI) for (const value of from.getAll(name)) if (value) query.append(name, value);
  for (const name of SINGLE) if (from.get(name)) query.set(name, from.get(name));
  return query;
}

function listUrl(key) {
  return key ? `${API}?${key}` : API;
}

function fillForm(query) {
  const statuses = query.getAll('status').map((s) => s.toUpperCase());
  for (const box of form.querySelectorAll('input[name=status]')) box.checked = statuses.includes(box.value);
  for (const name of TEXT_FILTERS) {
    form.elements[name].value = SPLIT[name] ? query.getAll(name).join(', ') : (query.get(name) || '');
  }
  const size = query.get('page_size') || DEFAULT_PAGE_SIZE;
  const sizes = form.elements.page_size;
  if (![...sizes.options].some((option) => option.value === size)) sizes.add(new Option(size, size));  // from a shared URL
  sizes.value = size;
  form.elements.pagination.checked = query.get('pagination') === 'cursor' || query.has('cursor');
}

// The query the form asks for; a new filter starts again from the first page.
function queryFromForm() {
  const query = new URLSearchParams();
  for (const box of form.querySelectorAll('input[name=status]:checked')) query.append('status', box.value);
  for (const name of TEXT_FILTERS) {
    const value = form.elements[name].value.trim();
    if (!value) continue;
    if (SPLIT[name]) for (const part of value.split(SPLIT[name])) { if (part.trim()) query.append(name, part.trim()); }
    else query.set(name, value);
  }
  if (form.elements.page_size.value !== DEFAULT_PAGE_SIZE) query.set('page_size', form.elements.page_size.value);
  if (form.elements.pagination.checked) query.set('pagination', 'cursor');
  for (const key of currentQuery().getAll('order')) query.append('order', key);
  return query;
}

function go(query, { replace = false } = {}) {
  const url = `${location.pathname}${query.toString() ? `?${query}` : ''}`;
  if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
  load();
}

function clearErrors() {
  for (const node of document.querySelectorAll('.field-error')) node.textContent = '';
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
}

// A 400 names each bad parameter: its words go next to that filter.
function showErrors(body) {
  clearErrors();
  for (const [name, messages] of Object.entries(body || {})) {
    const text = Array.isArray(messages) ? messages.join(' ') : String(messages);
    const target = document.getElementById(`error-${name}`) || document.getElementById('filters-error');
    target.textContent = target.id === 'filters-error' ? `${name}: ${text}` : text;
    const field = form.elements[name];
    if (field && field.setAttribute) field.setAttribute('aria-invalid', 'true');
  }
}

async function load({ refresh = false } = {}) {
  const query = currentQuery();
  const key = query.toString();
  if (!refresh) fillForm(query);
  const headers = {};
  if (refresh && shown.query === key && shown.etag) headers['If-None-Match'] = shown.etag;
  loading?.abort();
  const controller = new AbortController();
  loading = controller;
  let response;
  try {
    response = await apiFetch(listUrl(key), { headers, signal: controller.signal });
  } catch (error) {
    if (error.name !== 'AbortError') updated.textContent = `Could not reach the service (${formatTime(new Date().toISOString())}); retrying.`;
    return;
  }
  if (controller.signal.aborted) return;
  sessionStorage.setItem(LIST_KEY, location.pathname + location.search);
  if (response.status === 304) {
    stamp('no change');
    return;
  }
  const body = await errorBody(response);
  if (!response.ok) {
    shown = { query: null, etag: null };
    render(null);
    stamp(`the service answered ${response.status}`);
    if (response.status === 400) showErrors(body);
    else {
      clearErrors();
      document.getElementById('filters-error').textContent = response.status === 404 && query.has('page')
        ? 'There is no such page: the list is shorter now. Go back to the first page.'
        : describeFailure(response, body);
    }
    return;
  }
  clearErrors();
  shown = { query: key, etag: response.headers.get('ETag') };
  render(body, query);
  stamp();
}

function stamp(note) {
  updated.textContent = `Updated ${formatTime(new Date().toISOString())}${note ? ` (${note})` : ''}`;
}

function render(body, query) {
  tbody.replaceChildren();
  pages.replaceChildren();
  empty.hidden = true;
  if (!body) {
    summary.textContent = '';
    return;
  }
  const rows = body.results || [];
  const fragment = document.createDocumentFragment();
  for (const execution of rows) fragment.append(row(execution));
  tbody.append(fragment);
  empty.hidden = rows.length > 0;
  renderSortMarks(query.getAll('order'));
  renderPages(body, query);
}

function row(execution) {
  const tr = el('tr');
  const link = el('a', execution.id);
  link.href = `/ui/executions/${execution.id}/`;
  link.setAttribute('aria-label', `Execution ${execution.id}`);
  const type = execution.job?.job_type;
  const typeCell = el('td');
  if (type) {
    typeCell.append(el('span', type.name, 'type-name'), ' ', el('span', type.version, 'muted'));
    if (type.category) typeCell.append(' ', el('span', type.category, 'tag'));
  }
  const duration = el('td', formatDuration(between(execution.started, execution.ended)), 'num');
  if (execution.started && !execution.ended) duration.dataset.runningSince = execution.started;
  const error = execution.error;
  const cells = [
    cell(link, 'num'), cell(statusBadge(execution.status)), typeCell,
    cell(execution.node ? execution.node.hostname : '—'),
    timeCell(execution.created), timeCell(execution.started), timeCell(execution.ended), duration,
    cell(error ? `${error.title || error.name}${error.category ? ` (${error.category})` : ''}` : '—'),
  ];
  tr.append(...cells);
  return tr;
}

function cell(content, className) {
  const td = el('td', null, className);
  td.append(content ?? '—');
  return td;
}

function timeCell(iso) {
  const td = el('td', null, 'time');
  if (!iso) { td.textContent = '—'; return td; }
  const time = el('time', formatTime(iso));
  time.dateTime = iso;
  td.append(time);
  return td;
}

function renderSortMarks(order) {
  const keys = order.flatMap((value) => value.split(',')).filter(Boolean);
  for (const th of table.querySelectorAll('th[data-key]')) {
    const position = keys.findIndex((k) => k.replace(/^-/, '') === th.dataset.key);
    const mark = th.querySelector('.sort-mark');
    if (position < 0) {
      th.setAttribute('aria-sort', 'none');
      mark.textContent = '';
      continue;
    }
    const descending = keys[position].startsWith('-');
    th.setAttribute('aria-sort', position === 0 ? (descending ? 'descending' : 'ascending') : 'none');
    mark.textContent = `${descending ? ' ▼' : ' ▲'}${keys.length > 1 ? position + 1 : ''}`;
  }
}

// A header sorts by its key; with Shift it adds the key (or turns it round) after those already chosen.
function sortBy(key, add) {
  const query = currentQuery();
  let keys = query.getAll('order').flatMap((value) => value.split(',')).filter(Boolean);
  const position = keys.findIndex((k) => k.replace(/^-/, '') === key);
  const flipped = position >= 0 && !keys[position].startsWith('-') ? `-${key}` : key;
  if (add) {
    if (position >= 0) keys[position] = flipped; else keys.push(key);
  } else {
    keys = [position === 0 ? flipped : key];
  }
  query.delete('order');
  for (const k of keys) query.append('order', k);
  query.delete('page');
  query.delete('cursor');
  go(query);
}

function pageLink(label, query, current = false, ariaLabel = null) {
  const link = el('a', label);
  link.href = `${location.pathname}?${query}`;
  if (current) link.setAttribute('aria-current', 'page');
  if (ariaLabel) link.setAttribute('aria-label', ariaLabel);
  return link;
}

function renderPages(body, query) {
  const size = Number(query.get('page_size')) || Number(DEFAULT_PAGE_SIZE);
  if (body.count === undefined) {  // cursor pages
    summary.textContent = `${grouped(body.results.length)} executions on this page (cursor pages: no count)`;
    for (const [label, link] of [['‹ Previous', body.previous], ['Next ›', body.next]]) {
      if (!link) continue;
      const next = new URLSearchParams(query);
      next.set('cursor', new URL(link, location.href).searchParams.get('cursor'));
      pages.append(pageLink(label, next));
    }
    return;
  }
  const last = Math.max(1, Math.ceil(body.count / Math.min(size, 1000)));
  const requested = query.get('page');
  const current = requested === 'last' ? last : Math.min(Number(requested) || 1, last);
  summary.textContent = `${grouped(body.count)} execution${body.count === 1 ? '' : 's'} · page ${grouped(current)} of ${grouped(last)}`;
  if (last === 1) return;
  const at = (page) => { const q = new URLSearchParams(query); q.set('page', String(page)); return q; };
  if (current > 1) pages.append(pageLink('‹ Previous', at(current - 1)));
  const wanted = new Set([1, last, current - 2, current - 1, current, current + 1, current + 2]);
  let previous = 0;
  for (const page of [...wanted].filter((p) => p >= 1 && p <= last).sort((a, b) => a - b)) {
    if (page - previous > 1) pages.append(el('span', '…', 'gap'));
    pages.append(pageLink(grouped(page), at(page), page === current, `Page ${page}`));
    previous = page;
  }
  if (current < last) pages.append(pageLink('Next ›', at(current + 1)));
}

// Refreshes never land under a reader's selection or while they type in a filter.
function userIsBusy() {
  const selection = window.getSelection();
  if (selection && !selection.isCollapsed && table.contains(selection.anchorNode)) return 'text selected';
  if (Date.now() - lastTyped < 3000) return 'typing';
  return null;
}

function tickDurations() {
  for (const td of tbody.querySelectorAll('[data-running-since]')) {
    td.textContent = formatDuration(between(td.dataset.runningSince, null));
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  lastTyped = 0;
  go(queryFromForm());
});
form.addEventListener('change', (event) => {
  if (event.target.type === 'checkbox' || event.target.tagName === 'SELECT') go(queryFromForm());
});
form.addEventListener('input', () => { lastTyped = Date.now(); });
document.getElementById('clear-filters').addEventListener('click', () => {
  const query = new URLSearchParams();
  for (const key of currentQuery().getAll('order')) query.append('order', key);
  go(query);
});
table.querySelector('thead').addEventListener('click', (event) => {
  const button = event.target.closest('button.sort');
  if (button) sortBy(button.dataset.key, event.shiftKey);
});
pages.addEventListener('click', (event) => {
  const link = event.target.closest('a');
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  history.pushState(null, '', link.getAttribute('href'));
  load();
  table.scrollIntoView({ block: 'start' });
});
pause.addEventListener('click', () => {
  paused = !paused;
  pause.setAttribute('aria-pressed', String(paused));
  pause.textContent = paused ? 'Resume auto-refresh' : 'Pause auto-refresh';
  if (paused) updated.textContent = `${updated.textContent.replace(/ · paused$/, '')} · paused`;
});
window.addEventListener('popstate', () => load());

whileVisible(config.refreshMs, async () => {
  if (paused) {
    pause.dataset.skipped = String(Number(pause.dataset.skipped || 0) + 1);
    return;
  }
  const busy = userIsBusy();
  if (busy) { updated.textContent = `Refresh held: ${busy}`; return; }
  await load({ refresh: true });
});
setInterval(tickDurations, 1000);
load();
