// Weir's browser tests: starts ONE `weir` (the debug build, on a temporary SQLite database, with the shared test
// Flink registered as cluster `local` and environment `dev`), drives Debian's chromium with playwright-core
// through every test in end2end/tests/, saves screenshots and the server log in end2end/artifacts/, and exits
// non-zero when a test fails. Run by scripts/test (make test), which starts the Flink and sets
// WEIR_TEST_FLINK_URL.
import { chromium } from 'playwright-core';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, createWriteStream, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import net from 'node:net';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const artifacts = path.join(here, 'artifacts');
mkdirSync(artifacts, { recursive: true });

const flinkUrl = process.env.WEIR_TEST_FLINK_URL;
if (!flinkUrl) {
  console.error('WEIR_TEST_FLINK_URL is not set: run the browser tests with `make test`.');
  process.exit(2);
}
/** A port nobody listens on (another test run on this machine must not collide with this one). */
async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
const port = Number(process.env.WEIR_E2E_PORT ?? (await freePort()));
const base = `http://127.0.0.1:${port}`;
const weirBin = path.join(root, 'target', 'debug', 'weir');
if (!existsSync(weirBin)) {
  console.error(`${weirBin} is missing: build first with \`cargo leptos build\` (make test does).`);
  process.exit(2);
}

const work = mkdtempSync(path.join(tmpdir(), 'weir-e2e-'));
const configPath = path.join(work, 'weir.toml');
writeFileSync(configPath, `
[server]
listen = "127.0.0.1:${port}"
site_root = ${JSON.stringify(path.join(root, 'target', 'site'))}
data_dir = ${JSON.stringify(path.join(work, 'data'))}

[[clusters]]
name = "local"
kind = "flink-session"
rest_url = ${JSON.stringify(flinkUrl)}

[[environments]]
name = "dev"
cluster = "local"
`);

const log = createWriteStream(path.join(artifacts, 'weir.log'));
// The first start creates the administrator every test logs in as (through the login form).
const admin = { name: 'admin', password: 'e2e-admin-password' };
const weir = spawn(weirBin, ['--config', configPath], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, WEIR_ADMIN_USER: admin.name, WEIR_ADMIN_PASSWORD: admin.password },
});
weir.stdout.pipe(log);
weir.stderr.pipe(log);
let weirExited = null;
weir.on('exit', (code) => { weirExited = code; });

async function waitForWeir() {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (weirExited !== null) throw new Error(`weir exited with code ${weirExited}; see end2end/artifacts/weir.log`);
    try {
      const r = await fetch(`${base}/api/v1/health`);
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('weir did not answer /api/v1/health within 60 s');
}

const chromiumFlags = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** Logs a page in through the login form (plain HTML: works with JavaScript off too). */
async function logIn(page, user) {
  await page.goto(`${base}/login`);
  await page.fill('[data-test=login-name]', user.name);
  await page.fill('[data-test=login-password]', user.password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('[data-test=login-submit]')]);
}

// What each test receives.
function context(browser) {
  return {
    base,
    flinkUrl,
    browser,
    artifacts,
    admin,
    logIn,
    /** Calls the REST API as the administrator (a password login; the CSRF token rides along). */
    async api(method, pathname, body) {
      if (!this._session) {
        const r = await fetch(`${base}/api/v1/session`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(admin),
        });
        if (!r.ok) throw new Error(`API login failed: ${r.status}`);
        const me = await r.json();
        const cookie = r.headers.get('set-cookie').split(';')[0];
        this._session = { cookie, csrf: me.csrf_token };
      }
      const r = await fetch(`${base}/api/v1${pathname}`, {
        method,
        headers: { 'content-type': 'application/json', cookie: this._session.cookie, 'x-csrf-token': this._session.csrf },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      let json = null;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      return { status: r.status, json, text };
    },
    async screenshot(page, name) {
      await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
    },
    /** A new page that records browser-side errors; call assertNoErrors() at the end of the test. Logged in
     *  as the administrator unless `as` names another {name, password}, or `as: null` (anonymous). */
    async newPage(options = {}) {
      const { as = admin, ...contextOptions } = options;
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...contextOptions });
      const page = await ctx.newPage();
      if (as) await logIn(page, as);
      const errors = [];
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(`console error: ${m.text()}`); });
      /** Fails on any browser error except those matching `expected` (e.g. the 400 of a refused form). */
      page.assertNoErrors = (expected = []) => {
        const unexpected = errors.filter((e) => !expected.some((re) => re.test(e)));
        if (unexpected.length) throw new Error(`the browser reported errors:\n  ${unexpected.join('\n  ')}`);
      };
      page.closeAll = () => ctx.close();
      return page;
    },
  };
}

let failed = 0;
let browser;
try {
  await waitForWeir();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: chromiumFlags });
  const ctx = context(browser);
  // `node end2end/run.mjs metrics` runs only the test files whose name contains `metrics`.
  const only = process.argv[2];
  const files = readdirSync(path.join(here, 'tests')).filter((f) => f.endsWith('.mjs') && (!only || f.includes(only))).sort();
  for (const file of files) {
    const mod = await import(pathToFileURL(path.join(here, 'tests', file)).href);
    for (const [name, fn] of Object.entries(mod.tests)) {
      const started = Date.now();
      try {
        await fn(ctx);
        console.log(`ok   ${file} › ${name} (${Date.now() - started} ms)`);
      } catch (e) {
        failed += 1;
        console.log(`FAIL ${file} › ${name}\n     ${(e.stack ?? String(e)).split('\n').join('\n     ')}`);
      }
    }
  }
} catch (e) {
  failed += 1;
  console.error(`browser tests could not run: ${e.stack ?? e}`);
} finally {
  if (browser) await browser.close();
  weir.kill('SIGTERM');
  // The per-job Flink clusters a test's local-application deployments left (a test that failed before its stop):
  // their JVMs name their folder under this run's data directory.
  spawnSync('pkill', ['-9', '-f', '--', `-Dweir.cluster.dir=${path.join(work, 'data', 'clusters')}/`]);
}
console.log(failed ? `${failed} browser test(s) failed; artifacts in end2end/artifacts/` : 'all browser tests passed; screenshots in end2end/artifacts/');
process.exit(failed ? 1 : 0);
