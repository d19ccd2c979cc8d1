// End-to-end test of the dashboard in headless Chromium, driven by playwright-core. DashboardIT runs it
// against the packaged service it seeded; it exits non-zero on the first failed check.
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require(process.env.PLAYWRIGHT_CORE);

const base = process.env.BASE_URL;
const key = process.env.API_KEY;
const out = process.env.OUT_DIR;
const word = process.env.SEARCH_WORD;
const longSession = process.env.LONG_SESSION;

async function api(p) {
  const response = await fetch(base + p, { headers: { Authorization: `Bearer ${key}` } });
  assert.equal(response.status, 200, `${p} answered ${response.status}`);
  return response.json();
}

/** Pixels of the canvases under `selector` close to `rgb` (a drawn series), so a blank chart fails. */
function pixelsOf(page, selector, rgb) {
  return page.evaluate(([sel, [r, g, b]]) => {
    let n = 0;
    for (const canvas of document.querySelectorAll(sel)) {
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] > 200 && Math.abs(data[i] - r) < 30 && Math.abs(data[i + 1] - g) < 30 && Math.abs(data[i + 2] - b) < 30) n++;
      }
    }
    return n;
  }, [selector, rgb]);
}

(async () => {
  fs.mkdirSync(out, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const requested = [];
  const problems = [];
  try {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
    page.on('request', (request) => requested.push(request.url()));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`); });

    // a wrong key shows an error, not a blank page
    await page.goto(`${base}/dashboard`);
    await page.fill('#key', 'not-a-real-key-123');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#login-error:not([hidden])');
    assert.match(await page.textContent('#login-error'), /refused.*401/s);
    assert.equal(await page.isHidden('#app'), true);
    await page.screenshot({ path: path.join(out, 'login-error.png') });
    problems.length = 0; // the refused key's 401 is logged by the browser as a failed fetch; that is the point

    // performance: charts drawn, table equal to the API, sortable, params on hover
    await page.fill('#key', key);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('body[data-perf-loaded=true]');
    await page.waitForSelector('#charts canvas');
    const cards = await page.$$('#charts .chart-card');
    assert.ok(cards.length >= 2, `expected a chart per group, got ${cards.length}`);
    assert.ok(await pixelsOf(page, '#charts .latency canvas', [59, 130, 246]) > 100, 'the p50 lines are not drawn');
    assert.ok(await pixelsOf(page, '#charts .volume canvas', [107, 114, 128]) > 100, 'the call-count lines are not drawn');
    assert.ok(await pixelsOf(page, '#charts .latency canvas', [22, 163, 74]) > 50, 'the TTFT p50 line is not drawn');
    assert.ok(await pixelsOf(page, '#charts .tokens canvas', [124, 58, 237]) > 100, 'the tokens-in lines are not drawn');
    assert.match(await page.textContent('#charts .chart-card .errors'), /top error types: (timeout|rate_limited) \d+/);

    const range = await page.getAttribute('body', 'data-range');
    const summary = (await api(`/perf/summary?${range}`)).items;
    const rows = await page.$$eval('#summary tbody tr', (trs) => trs.map((tr) => Object.fromEntries(
      [...tr.children].map((td) => [td.dataset.key, td.dataset.value ?? td.textContent]))));
    assert.equal(rows.length, summary.length);
    for (const s of summary) {
      const row = rows.find((r) => r.tool === s.tool && r.model === s.model && r.provider === s.provider);
      assert.ok(row, `no table row for ${s.tool}/${s.model}/${s.provider}`);
      for (const k of ['count', 'error_count', 'avg_ms', 'p50_ms', 'p95_ms', 'p99_ms', 'max_ms', 'tokens_in', 'tokens_out']) {
        assert.equal(Number(row[k]), s[k], `${k} of ${s.tool}/${s.model}`);
      }
      assert.equal(row.ttft_p50_ms, String(s.ttft_p50_ms), `ttft_p50_ms of ${s.tool}/${s.model}`);
      const top = Object.entries(s.error_types).sort((a, b) => b[1] - a[1])[0];
      if (top) assert.ok(row.top_errors.startsWith(`${top[0]} ${top[1]}`), `top error type of ${s.tool}/${s.model}: ${row.top_errors}`);
    }
    await page.click('#summary th[data-key=p99_ms]');
    const p99s = await page.$$eval('#summary tbody td[data-key=p99_ms]', (tds) => tds.map((td) => Number(td.dataset.value)));
    assert.deepEqual(p99s, [...p99s].sort((a, b) => b - a), 'sorted by p99, largest first');
    await page.click('#summary th[data-key=p99_ms]');
    const ascending = await page.$$eval('#summary tbody td[data-key=p99_ms]', (tds) => tds.map((td) => Number(td.dataset.value)));
    assert.deepEqual(ascending, [...p99s].reverse());

    await page.hover('#charts .params');
    await page.waitForFunction(() => (document.querySelector('#charts .params').title || '').includes('stream'));
    await page.screenshot({ path: path.join(out, 'performance.png'), fullPage: true });

    // sessions: search finds a seeded message, history paged with roles told apart
    await page.click('nav button[data-view=sessions]');
    await page.waitForSelector('#sessions li');
    await page.fill('#search', word);
    await page.click('#search-form button[type=submit]');
    await page.waitForSelector('#search-results li.role-user, #search-results li.role-assistant');
    assert.match(await page.textContent('#search-results'), new RegExp(word));
    await page.click(`#sessions li[data-cid="${longSession}"]`);
    await page.waitForSelector('#messages li');
    assert.equal(await page.$$eval('#messages li', (lis) => lis.length), 20);
    assert.ok(await page.$('#messages li.role-user') && await page.$('#messages li.role-assistant'), 'roles told apart');
    await page.click('#later');
    await page.waitForSelector('#messages li[data-seq="21"]');
    assert.match(await page.textContent('#history-range'), /messages 21–40 of 45/);
    assert.match(await page.textContent('#messages li[data-seq="22"] .facts'), /chat · glm-4\.6 · zhipu — in 122 \/ out 22 tokens/);
    // a branch shows the session it continues, and the link opens that history where the branch left it
    await page.click('#sessions li[data-cid="dash-branch"]');
    await page.waitForSelector('#history-chain a[data-cid]');
    assert.match(await page.textContent('#history-chain'), new RegExp(`continues ${longSession} up to #30`));
    await page.click('#history-chain a[data-cid]');
    await page.waitForSelector('#messages li[data-seq="30"]');
    assert.match(await page.textContent('#history-title'), /Refactoring the parser/);
    // live: the open history follows the session's change feed, so a turn appended elsewhere shows up by itself
    await page.waitForFunction(() => document.querySelector('#history-live').textContent === 'live');
    const appended = await fetch(`${base}/sessions/${encodeURIComponent(longSession)}/messages`, { method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ role: 'user', content: 'a live turn' }) });
    assert.equal(appended.status, 201);
    await page.waitForFunction(() => /of 46$/.test(document.querySelector('#history-range').textContent), null, { timeout: 10000 });
    await page.screenshot({ path: path.join(out, 'sessions.png'), fullPage: true });

    // health
    await page.click('nav button[data-view=health]');
    await page.waitForSelector('#rollup-lag');
    const health = await page.textContent('#health');
    assert.match(health, /liveUP/);
    assert.match(health, /readyUP/);
    assert.match(health, /Redis(up|degraded)/);
    assert.match(await page.textContent('#rollup-lag'), /^\d+(\.\d+)? s$/);
    await page.screenshot({ path: path.join(out, 'health.png'), fullPage: true });

    const origin = new URL(base).origin;
    const foreign = requested.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'));
    assert.deepEqual(foreign, [], 'requests that left the service origin');
    assert.deepEqual(problems, [], 'errors in the page');
    console.log(`dashboard e2e passed: ${requested.length} requests, all to ${origin}`);
  } finally {
    await browser.close();
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
