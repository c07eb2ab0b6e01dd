// How times, durations and values are shown.

export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  // ISO-like and in UTC, as the API answers: no guessing which zone the reader means.
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function formatDuration(ms) {
  if (ms == null || Number.isNaN(ms) || ms < 0) return '—';
  const seconds = Math.floor(ms / 1000);
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d) return `${d}d ${h}h ${m}m`;
  if (h) return `${h}h ${m}m ${s}s`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

export function between(startIso, endIso, now = Date.now()) {
  if (!startIso) return null;
  const end = endIso ? new Date(endIso).getTime() : now;
  return end - new Date(startIso).getTime();
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = -1;
  do { value /= 1024; unit++; } while (value >= 1024 && unit < units.length - 1);
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

// 1234567 -> "1,234,567". Not Intl.NumberFormat: building one loads ICU's locale data, about 20 ms of a cold
// page's main thread before its first rows.
export function grouped(n) {
  const [whole, fraction] = String(n).split('.');
  const digits = whole.replace(/\B(?=(\d{3})+$)/g, ',');
  return fraction === undefined ? digits : `${digits}.${fraction}`;
}

// An element with text (never HTML) and optional class.
export function el(tag, text = null, className = null) {
  const node = document.createElement(tag);
  if (text != null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

export function statusBadge(status) {
  const badge = el('span', status ? status[0] + status.slice(1).toLowerCase() : '—', 'badge');
  if (status) badge.classList.add(`status-${status.toLowerCase()}`);
  return badge;
}

// A definition list of [term, value] pairs; a value may be a node.
export function fillList(dl, pairs) {
  dl.replaceChildren();
  for (const [term, value] of pairs) {
    dl.append(el('dt', term));
    const dd = el('dd');
    if (value instanceof Node) dd.append(value); else dd.textContent = value == null || value === '' ? '—' : String(value);
    dl.append(dd);
  }
}
