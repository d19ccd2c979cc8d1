// The exai-store dashboard: a page over the public API, with the API key the operator types (kept in
// sessionStorage, so for this tab only). Charts are drawn by uPlot, served by the service from its WebJar.
'use strict';

const KEY_ITEM = 'exai-store-key';
const HISTORY_PAGE = 20;
const state = { key: sessionStorage.getItem(KEY_ITEM), summary: [], sort: { key: 'count', dir: -1 }, sessionsCursor: null,
  history: null, live: null, params: new Map(), charts: [] };

const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, problem) {
    super(problem && problem.title ? `${problem.title} (${status}): ${problem.detail || ''}` : `HTTP ${status}`);
    this.status = status;
  }
}

async function api(path, key = state.key) {
  let response;
  try {
    response = await fetch(path, { headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' } });
  } catch (e) {
    throw new Error(`the service did not answer (${e.message})`);
  }
  const type = response.headers.get('content-type') || '';
  const body = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) {
    throw new ApiError(response.status, typeof body === 'object' ? body : null);
  }
  return body;
}

/** Every page of a paged list. */
async function all(path) {
  const items = [];
  let cursor = null;
  do {
    const page = await api(path + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''));
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

function showError(id, error) {
  const element = $(id);
  element.textContent = error ? error.message : '';
  element.hidden = !error;
}

function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') element.className = value;
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value);
  }
  for (const child of children) element.append(child);
  return element;
}

const fixed = (value, digits = 1) => (value === null || value === undefined ? '' : Number(value).toFixed(digits));

// ---- sign in ----

async function signIn(event) {
  event.preventDefault();
  const key = $('key').value.trim();
  try {
    await api('/sessions?limit=1', key);
  } catch (e) {
    showError('login-error', e.status === 401 ? new Error(`That API key was refused: ${e.message}`) : e);
    return;
  }
  sessionStorage.setItem(KEY_ITEM, key);
  state.key = key;
  showError('login-error', null);
  open();
}

function signOut() {
  sessionStorage.removeItem(KEY_ITEM);
  location.reload();
}

function open() {
  $('login').hidden = true;
  $('app').hidden = false;
  $('nav').hidden = false;
  show('perf');
}

function show(view) {
  for (const button of document.querySelectorAll('nav button[data-view]')) {
    button.classList.toggle('active', button.dataset.view === view);
  }
  for (const section of document.querySelectorAll('.view')) {
    section.hidden = section.id !== `view-${view}`;
  }
  document.body.dataset.view = view;
  if (state.live) { // a session's history is followed only while it is shown
    state.live.stop.abort();
    state.live = null;
    $('history').hidden = true;
  }
  ({ perf: loadPerf, sessions: loadSessions, health: loadHealth })[view]();
}

// ---- performance ----

async function loadPerf(event) {
  if (event) event.preventDefault();
  const to = new Date();
  const from = new Date(to.getTime() - Number($('window').value) * 3600_000);
  const range = `from=${from.toISOString()}&to=${to.toISOString()}`;
  const granularity = $('granularity').value;
  document.body.dataset.perfLoaded = 'false';
  document.body.dataset.range = range;
  try {
    const [summary, buckets] = await Promise.all([
      api(`/perf/summary?${range}`),
      all(`/perf/aggregates?granularity=${granularity}&${range}&limit=10000`),
    ]);
    state.summary = summary.items.map((s) => ({ ...s, error_rate: s.count ? (100 * s.error_count) / s.count : 0 }));
    renderSummary();
    renderCharts(buckets);
    showError('perf-error', null);
  } catch (e) {
    showError('perf-error', e);
  }
  document.body.dataset.perfLoaded = 'true';
}

function renderSummary() {
  const { key, dir } = state.sort;
  const rows = [...state.summary].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    return (typeof x === 'number' ? x - y : String(x ?? '').localeCompare(String(y ?? ''))) * dir;
  });
  for (const th of document.querySelectorAll('#summary th')) {
    th.setAttribute('aria-sort', th.dataset.key === key ? (dir > 0 ? 'ascending' : 'descending') : 'none');
  }
  const body = document.querySelector('#summary tbody');
  body.replaceChildren(...rows.map((s) => el('tr', {},
    ...['tool', 'model', 'provider'].map((k) => el('td', { 'data-key': k }, s[k] ?? '')),
    ...[['count', 0], ['error_count', 0], ['error_rate', 1], ['avg_ms', 1], ['p50_ms', 1], ['p95_ms', 1], ['p99_ms', 1], ['max_ms', 1],
      ['ttft_p50_ms', 1], ['ttft_p95_ms', 1], ['tokens_in', 0], ['tokens_out', 0]]
      .map(([k, digits]) => el('td', { class: 'num', 'data-key': k, 'data-value': String(s[k]) }, s[k] == null ? '–' : fixed(s[k], digits))),
    el('td', { 'data-key': 'top_errors' }, topErrors(s.error_types)))));
}

/** The three most frequent error types of a group, "timeout 12, rate_limited 3". */
function topErrors(types) {
  return Object.entries(types || {}).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([t, n]) => `${t} ${n}`).join(', ');
}

function sortBy(event) {
  const key = event.target.dataset.key;
  if (!key) return;
  state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : (['tool', 'model', 'provider'].includes(key) ? 1 : -1) };
  renderSummary();
}

function renderCharts(buckets) {
  state.charts.forEach((chart) => chart.destroy());
  state.charts = [];
  const groups = new Map();
  for (const b of buckets) {
    const id = [b.tool, b.model, b.provider, b.params_hash].join('\u0000');
    if (!groups.has(id)) groups.set(id, []);
    groups.get(id).push(b);
  }
  const container = $('charts');
  container.replaceChildren();
  if (groups.size === 0) {
    container.append(el('p', {}, 'No rolled-up buckets in this window yet.'));
  }
  for (const series of groups.values()) {
    series.sort((a, b) => a.bucket_start.localeCompare(b.bucket_start));
    const first = series[0];
    const calls = series.reduce((n, b) => n + b.count, 0);
    const errors = series.reduce((n, b) => n + b.error_count, 0);
    const params = el('span', { class: 'params', tabindex: '0', 'data-hash': first.params_hash }, `params ${first.params_hash.slice(0, 12)}`);
    params.addEventListener('mouseenter', () => explainParams(params));
    params.addEventListener('focus', () => explainParams(params));
    const latency = el('div', { class: 'chart latency' });
    const volume = el('div', { class: 'chart volume' });
    const tokens = el('div', { class: 'chart tokens' });
    const tokensIn = series.reduce((n, b) => n + b.tokens_in, 0);
    const tokensOut = series.reduce((n, b) => n + b.tokens_out, 0);
    const errorTypes = {};
    series.forEach((b) => Object.entries(b.error_types || {}).forEach(([t, n]) => { errorTypes[t] = (errorTypes[t] || 0) + n; }));
    container.append(el('div', { class: 'chart-card' },
      el('h3', {}, `${first.tool} · ${first.model} · ${first.provider}`), params,
      el('p', { class: 'totals' }, `${calls} calls, ${errors} errors (${fixed(calls ? (100 * errors) / calls : 0)} %)`
        + `, ${tokensIn} tokens in, ${tokensOut} out`),
      el('p', { class: 'errors' }, errors ? `top error types: ${topErrors(errorTypes)}` : 'no errors'),
      latency, volume, tokens));
    const x = series.map((b) => Date.parse(b.bucket_start) / 1000);
    const width = Math.max(480, latency.clientWidth || 480);
    state.charts.push(new uPlot({
      width, height: 200, title: 'latency and time to first token (ms)',
      series: [{}, { label: 'p50', stroke: '#3b82f6', width: 2 }, { label: 'p95', stroke: '#d97706', width: 2 },
        { label: 'p99', stroke: '#b3261e', width: 2 }, { label: 'TTFT p50', stroke: '#16a34a', width: 2, dash: [6, 4] },
        { label: 'TTFT p95', stroke: '#84cc16', width: 2, dash: [6, 4] }],
      axes: [{}, { label: 'ms' }],
    }, [x, series.map((b) => b.p50_ms), series.map((b) => b.p95_ms), series.map((b) => b.p99_ms),
      series.map((b) => b.ttft_p50_ms), series.map((b) => b.ttft_p95_ms)], latency));
    state.charts.push(new uPlot({
      width, height: 150, title: `tokens per ${$('granularity').value}`,
      series: [{}, { label: 'in', stroke: '#7c3aed', width: 2 }, { label: 'out', stroke: '#db2777', width: 2 }],
      axes: [{}, { label: 'tokens' }],
    }, [x, series.map((b) => b.tokens_in), series.map((b) => b.tokens_out)], tokens));
    state.charts.push(new uPlot({
      width, height: 150, title: 'calls and error rate',
      scales: { pct: { range: [0, 100] } },
      series: [{}, { label: 'calls', stroke: '#6b7280', width: 2 }, { label: 'error %', stroke: '#b3261e', width: 2, scale: 'pct' }],
      axes: [{}, { label: 'calls' }, { side: 1, scale: 'pct', label: '%', grid: { show: false } }],
    }, [x, series.map((b) => b.count), series.map((b) => (b.count ? (100 * b.error_count) / b.count : 0))], volume));
  }
}

/** Shows the parameters a params_hash stands for as the element's tooltip. */
async function explainParams(element) {
  const hash = element.dataset.hash;
  if (!state.params.has(hash)) {
    state.params.set(hash, api(`/perf/params/${hash}`).then((p) => JSON.stringify(p.params, null, 1), (e) => e.message));
  }
  element.title = `${hash}\n${await state.params.get(hash)}`;
}

// ---- sessions ----

async function loadSessions() {
  state.sessionsCursor = null;
  $('sessions').replaceChildren();
  await moreSessions();
}

async function moreSessions() {
  try {
    const page = await api(`/sessions?limit=20${state.sessionsCursor ? `&cursor=${encodeURIComponent(state.sessionsCursor)}` : ''}`);
    $('sessions').append(...page.items.map((s) => el('li', { 'data-cid': s.continuation_id, onclick: () => openHistory(s.continuation_id, 1) },
      s.title || s.continuation_id, el('small', {}, `${s.continuation_id} · ${s.message_count} messages · ${s.updated_at}`))));
    state.sessionsCursor = page.next_cursor;
    $('more-sessions').hidden = !page.next_cursor;
    showError('sessions-error', null);
  } catch (e) {
    showError('sessions-error', e);
  }
}

async function search(event) {
  event.preventDefault();
  const q = $('search').value.trim();
  if (!q) return;
  try {
    const page = await api(`/messages/search?q=${encodeURIComponent(q)}&limit=20`);
    const results = $('search-results');
    results.replaceChildren(...page.items.map((hit) => el('li', { class: `role-${hit.role}`, onclick: () => openHistory(hit.continuation_id, hit.seq) },
      el('span', { class: 'role' }, hit.role), hit.content.length > 200 ? `${hit.content.slice(0, 200)}…` : hit.content,
      el('small', {}, `${hit.continuation_id} · message ${hit.seq}`))));
    if (page.items.length === 0) results.append(el('li', {}, `No message matches “${q}”.`));
    showError('sessions-error', null);
  } catch (e) {
    showError('sessions-error', e);
  }
}

/** Shows the page of a session's history that holds message {@code seq}. */
async function openHistory(cid, seq) {
  const first = Math.floor((seq - 1) / HISTORY_PAGE) * HISTORY_PAGE;
  try {
    const [session, page] = await Promise.all([
      api(`/sessions/${encodeURIComponent(cid)}`),
      api(`/sessions/${encodeURIComponent(cid)}/messages?after_seq=${first}&limit=${HISTORY_PAGE}`),
    ]);
    state.history = { cid, first, count: session.message_count };
    $('history').hidden = false;
    $('history-title').textContent = session.title ? `${session.title} (${cid})` : cid;
    $('history-range').textContent = page.items.length
      ? `messages ${page.items[0].seq}–${page.items[page.items.length - 1].seq} of ${session.message_count}` : 'no messages';
    $('earlier').disabled = first === 0;
    $('later').disabled = first + HISTORY_PAGE >= session.message_count;
    $('messages').replaceChildren(...page.items.map((m) => el('li', { class: `role-${m.role}`, 'data-seq': String(m.seq) },
      el('span', { class: 'role' }, m.role), turnFacts(m), m.content, ...references(m))));
    await showChain(session);
    follow(cid);
    showError('sessions-error', null);
  } catch (e) {
    showError('sessions-error', e);
  }
}

/**
 * Follows the open session's change feed (GET /events?continuation_id=) and redraws the page it shows on each change.
 * EventSource cannot send the API key in a header, so the stream is read with fetch; after a drop it reconnects with
 * Last-Event-ID, so no change is missed.
 */
function follow(cid) {
  if (state.live && state.live.cid === cid) return;
  if (state.live) state.live.stop.abort();
  const live = { cid, stop: new AbortController(), lastId: null };
  state.live = live;
  $('history-live').textContent = 'connecting…';
  (async () => {
    while (!live.stop.signal.aborted) {
      try {
        const headers = { Authorization: `Bearer ${state.key}`, Accept: 'text/event-stream' };
        if (live.lastId !== null) headers['Last-Event-ID'] = live.lastId;
        const response = await fetch(`/events?continuation_id=${encodeURIComponent(cid)}`, { headers, signal: live.stop.signal });
        if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
        $('history-live').textContent = 'live';
        await readEvents(response.body, live, () => {
          const h = state.history;
          if (h && h.cid === cid) openHistory(cid, Math.max(1, h.first + 1));
        });
      } catch (e) {
        if (live.stop.signal.aborted) return;
        $('history-live').textContent = `reconnecting (${e.message})`;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
}

/** Reads Server-Sent Events frames, keeping the last id; calls {@code changed} after each event. */
async function readEvents(body, live, changed) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      const id = frame.find((line) => line.startsWith('id: '));
      if (id) live.lastId = id.slice(4);
      if (frame.some((line) => line.startsWith('data: '))) changed();
    }
  }
}

/** What made a turn: tool · model · provider, its usage and token count. */
function turnFacts(m) {
  const made = [m.tool_name, m.model, m.provider].filter(Boolean).join(' · ');
  const usage = m.usage ? `in ${m.usage.input_tokens ?? '?'} / out ${m.usage.output_tokens ?? '?'} tokens` : '';
  const count = `${m.token_count} tokens${m.token_count_estimated ? ' (estimated)' : ''}`;
  return el('small', { class: 'facts' }, [made, usage, count].filter(Boolean).join(' — '));
}

/** The files and images a turn refers to, by id (their names are one click away in the files API). */
function references(m) {
  const ids = [...(m.files || []).map((id) => `file ${id}`), ...(m.images || []).map((id) => `image ${id}`)];
  return ids.length ? [el('small', { class: 'refs' }, ids.join(', '))] : [];
}

/** The sessions this one continues, root first, each a link to the page of its history at the link. */
async function showChain(session) {
  const line = $('history-chain');
  const links = [];
  let current = session;
  while (current.parent_continuation_id && links.length < 20) {
    links.unshift({ cid: current.parent_continuation_id, seq: current.parent_seq });
    current = await api(`/sessions/${encodeURIComponent(current.parent_continuation_id)}`).catch(() => ({}));
  }
  line.hidden = links.length === 0;
  line.replaceChildren('continues ', ...links.flatMap((link, i) => [i ? ' › ' : '',
    el('a', { href: '#', 'data-cid': link.cid, onclick: (e) => { e.preventDefault(); openHistory(link.cid, Math.max(link.seq, 1)); } },
      `${link.cid} up to #${link.seq}`)]));
}

function page(step) {
  const h = state.history;
  if (h) openHistory(h.cid, h.first + step * HISTORY_PAGE + 1);
}

// ---- health ----

async function loadHealth() {
  try {
    const [live, ready, metrics] = await Promise.all([
      fetch('/q/health/live').then((r) => r.json()),
      fetch('/q/health/ready').then((r) => r.json()),
      fetch('/q/metrics').then((r) => r.text()),
    ]);
    const check = (name) => (ready.checks || []).find((c) => c.name === name) || {};
    const lag = metrics.split('\n').find((line) => line.startsWith('exai_store_perf_rollup_lag_seconds'));
    const redis = check('redis');
    const status = (text) => el('dd', { class: String(text).toLowerCase() }, String(text));
    $('health').replaceChildren(
      el('dt', {}, 'live'), status(live.status),
      el('dt', {}, 'ready'), status(ready.status),
      el('dt', {}, 'PostgreSQL'), status(check('postgresql').status || 'unknown'),
      el('dt', {}, 'Redis'), status(redis.data ? redis.data.status : 'unknown'),
      el('dt', {}, 'cache generation'), el('dd', {}, String(redis.data ? redis.data.generation : '')),
      el('dt', {}, 'rollup lag'), el('dd', { id: 'rollup-lag' }, lag ? `${Number(lag.split(' ').pop())} s` : 'unknown'));
    showError('health-error', null);
  } catch (e) {
    showError('health-error', e);
  }
}

// ---- wiring ----

$('login-form').addEventListener('submit', signIn);
$('sign-out').addEventListener('click', signOut);
for (const button of document.querySelectorAll('nav button[data-view]')) {
  button.addEventListener('click', () => show(button.dataset.view));
}
$('perf-controls').addEventListener('submit', loadPerf);
document.querySelector('#summary thead').addEventListener('click', sortBy);
$('search-form').addEventListener('submit', search);
$('more-sessions').addEventListener('click', moreSessions);
$('earlier').addEventListener('click', () => page(-1));
$('later').addEventListener('click', () => page(1));
if (state.key) open();
