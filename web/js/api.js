// The dashboard's HTTP API (docs/api.md). Times cross this boundary as UTC
// microseconds; the rest of the page works in seconds.

const TOKEN_KEY = 'vitals-token';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// The token: from the page's URL (?token=), else what the user typed once
// in this tab's session.
export function token() {
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(t) {
  if (t)
    sessionStorage.setItem(TOKEN_KEY, t);
  else
    sessionStorage.removeItem(TOKEN_KEY);
}

// Asked when the server answers 401; resolves to a token or '' (cancelled).
let askToken = async () => '';
export function onTokenNeeded(fn) {
  askToken = fn;
}

function url(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '')
      continue;
    for (const one of Array.isArray(v) ? v : [v])
      q.append(k, String(one));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

// A GET the server is too busy for (503) is asked again after its Retry-After, up to 3 times.
async function request(method, path, params, body, type = 'application/json', retried = false,
  busy = 0) {
  const headers = {};
  const t = token();
  if (t)
    headers['X-Vitals-Token'] = t;
  if (body !== undefined)
    headers['Content-Type'] = type;
  let res;
  try {
    res = await fetch(url(path, params), {
      method, headers,
      body: body === undefined ? undefined : (type === 'application/json' ? JSON.stringify(body) : body),
    });
  } catch (e) {
    throw new ApiError(0, `the dashboard server does not answer (${e.message})`);
  }
  let data = null;
  const text = await res.text();
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (res.status === 401 && !retried) {
    const t2 = await askToken();
    if (t2) {
      setToken(t2);
      return request(method, path, params, body, type, true);
    }
  }
  if (res.status === 503 && method === 'GET' && busy < 3 && res.headers.get('Retry-After')) {
    const wait = Math.min(Math.max(Number(res.headers.get('Retry-After')) || 1, 1), 10);
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    return request(method, path, params, body, type, retried, busy + 1);
  }
  if (!res.ok) {
    const msg = data && data.error && data.error.message ? data.error.message
      : `${res.status} ${res.statusText}`;
    if (res.status === 401)
      setToken('');
    throw new ApiError(res.status, msg);
  }
  return data;
}

export const us = (sec) => Math.round(sec * 1e6);
export const sec = (micro) => (micro === null || micro === undefined ? null : micro / 1e6);

export const api = {
  info: () => request('GET', '/api/info'),
  files: () => request('GET', '/api/files'),
  trace: (file) => request('GET', '/api/trace', { file }),
  entities: (file, kind) => request('GET', '/api/entities', { file, kind }),
  // from/to in seconds; the answer's times stay microseconds.
  series: (file, kind, metric, ids, from, to, points, limit) => request('GET', '/api/series', {
    file, kind, metric, id: ids, points, limit,
    from: from === null || from === undefined ? undefined : Math.floor(from * 1e6),
    to: to === null || to === undefined ? undefined : Math.ceil(to * 1e6),
  }),
  events: (file) => request('GET', '/api/events', { file }),
  addEvent: (file, text, time) => request('POST', '/api/events', { file },
    { text, time: us(time) }),
  importEvents: (file, csv) => request('POST', '/api/events/import', { file }, csv, 'text/csv'),
  proctree: (pid) => request('GET', '/api/proctree', { pid }),
  pids: (q) => request('GET', '/api/pids', { q, limit: 100 }),
  leaks: (file) => request('GET', '/api/leaks', { file }),
  tracing: () => request('GET', '/api/tracing'),
  start: (opts) => request('POST', '/api/tracing/start', {}, opts),
  stop: () => request('POST', '/api/tracing/stop', {}, {}),
  snapshot: () => request('POST', '/api/tracing/snapshot', {}, {}),
  liveUrl: (pids) => url('/api/live', { pid: pids, token: token() || undefined }),
};
