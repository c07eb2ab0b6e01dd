// Calls to the service's public API, as any external client makes them. With API_TOKENS set on the service,
// a token is asked for once, kept in this tab's sessionStorage, sent as an Authorization header, and asked
// for again when the service answers 401. It never goes into a URL.

const TOKEN_KEY = 'scale-ui-api-token';
let tokenPrompt = null;

export function savedToken() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

function askForToken(reason) {
  if (tokenPrompt) return tokenPrompt;
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  document.getElementById('token-reason').textContent = reason;
  input.value = '';
  tokenPrompt = new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      tokenPrompt = null;
      const token = input.value.trim();
      input.value = '';
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      resolve(token);
    }, { once: true });
  });
  dialog.showModal();
  input.focus();
  return tokenPrompt;
}

// A response, whatever its status; asks for a token and tries again on a 401. Network failures throw.
export async function apiFetch(url, { headers = {}, signal } = {}) {
  for (let attempt = 0; ; attempt++) {
    const sent = { ...headers };
    const token = savedToken();
    if (token) sent.Authorization = `Token ${token}`;
    // no-store: the browser's cache stays out of it, so a 304 to our own If-None-Match reaches this code.
    const response = await fetch(url, { headers: sent, cache: 'no-store', signal, credentials: 'same-origin' });
    if (response.status !== 401 || attempt > 5) return response;
    const reason = token
      ? 'The service refused that token. Enter a valid API token.'
      : 'This service asks for an API token. It is kept in this tab only (session storage).';
    if (token) sessionStorage.removeItem(TOKEN_KEY);
    await askForToken(reason);
  }
}

// The JSON body of an error answer, or null when it has none.
export async function errorBody(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

// Words for an answer that is not what was hoped for.
export function describeFailure(response, body) {
  if (body && typeof body.detail === 'string') return `${response.status}: ${body.detail}`;
  return `The service answered ${response.status} ${response.statusText}`.trim();
}

export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

// Runs `tick` now and then every `ms` while the page is visible; `tick` returning false skips nothing.
export function whileVisible(ms, tick) {
  let timer = null;
  const schedule = () => {
    clearTimeout(timer);
    if (document.visibilityState === 'visible') timer = setTimeout(run, ms);
  };
  const run = async () => {
    try { await tick(); } finally { schedule(); }
  };
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') run(); else clearTimeout(timer);
  });
  schedule();
  return { now: run };
}

export const config = {
  refreshMs: Number(document.body.dataset.refreshMs) || 5000,
  logPollMs: Number(document.body.dataset.logPollMs) || 1000,
  logMaxLines: Number(document.body.dataset.logMaxLines) || 300000,
};
