// The Pools page: a pool and a quota created through its forms, an environment attached, and a deployment's use
// shown against the quota, live; the job page says what the deployment uses and from which pool.
import { assert, equal } from '../lib/assert.mjs';

/** Polls `check` until it answers something truthy, or fails after `ms`. */
async function until(what, check, ms = 60_000) {
  const start = Date.now();
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const JOB = 'pooled-job';
const SQL = `CREATE TABLE src (k INT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');
CREATE TABLE snk (k INT) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT k FROM src;
`;

export const tests = {
  async 'a pool and a quota are created from the Pools page and show what runs in them'(t) {
    // An environment of its own (dev stays without limits for the other tests).
    equal((await t.api('POST', '/environments', { name: 'pooled', cluster: 'local' })).status, 201, 'environment created');
    const ns = '/namespaces/default';
    const dep = `${ns}/jobs/${JOB}/deployments/pooled`;
    const page = await t.newPage();
    try {
      await page.goto(`${t.base}/pools`);
      await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });

      // A bad name is refused inline; a good one is listed with its capacity.
      const create = page.locator('[data-test="create-pool"]');
      await create.locator('select[name="cluster"]').waitFor({ timeout: 15_000 });
      // On the shared session cluster (other tests register more clusters; the first listed is not always it).
      await create.locator('select[name="cluster"]').selectOption('local');
      await create.locator('input[name="name"]').fill('Bad Pool');
      await create.locator('input[name="slots"]').fill('6');
      await create.locator('button[type="submit"]').click();
      await page.locator('.error-box').waitFor({ timeout: 10_000 });
      assert((await page.locator('.error-box').innerText()).includes('invalid pool name'), 'bad name refused inline');
      await create.locator('input[name="name"]').fill('analytics');
      await create.locator('button[type="submit"]').click();
      const card = page.locator('[data-pool="analytics"]');
      await card.waitFor({ timeout: 15_000 });
      assert((await card.locator('[data-test="pool-capacity"]').innerText()).includes('0 of 6 slots'), 'capacity shown');

      // The environment draws from it; namespace default gets 2 slots.
      const attach = page.locator('[data-test="attach-environment"]');
      await attach.locator('select[name="pool"] option[value="analytics"]').waitFor({ state: 'attached', timeout: 15_000 });
      await attach.locator('select[name="env"]').selectOption('pooled');
      await attach.locator('select[name="pool"]').selectOption('analytics');
      await attach.locator('button[type="submit"]').click();
      await until('pooled to draw from analytics', async () => (await t.api('GET', '/environments')).json?.find((e) => e.name === 'pooled')?.pool === 'analytics');
      const quota = page.locator('[data-test="set-quota"]');
      await quota.locator('select[name="pool"] option[value="analytics"]').waitFor({ state: 'attached', timeout: 15_000 });
      await quota.locator('select[name="pool"]').selectOption('analytics');
      await quota.locator('select[name="ns"]').selectOption('default');
      await quota.locator('input[name="slots"]').fill('2');
      await quota.locator('button[type="submit"]').click();
      const row = card.locator('[data-pool-namespace="default"]');
      await row.waitFor({ timeout: 15_000 });
      assert((await row.innerText()).includes('0 of 2 slots'), `quota listed: ${await row.innerText()}`);
      assert((await card.innerText()).includes('pooled'), 'the environment is named on the card');

      // A deployment in the pool shows up live (the page is not reloaded) with its use against the quota.
      equal((await t.api('POST', `${ns}/jobs`, { name: JOB, kind: 'sql' })).status, 201, 'job created');
      equal((await t.api('POST', `${ns}/jobs/${JOB}/versions`, { sql: SQL, parallelism: 1, message: 'v1' })).status, 201, 'v1');
      equal((await t.api('POST', `${dep}/deploy`, {})).status, 202, 'deploy accepted');
      await card.locator(`[data-pool-deployment="default/${JOB}"]`).waitFor({ timeout: 30_000 });
      await until('the use counted', async () => (await row.innerText()).includes('1 of 2 slots'), 30_000);
      await until('the job RUNNING', async () => {
        const d = (await t.api('GET', dep)).json;
        return d?.observed_state === 'RUNNING' && d.active_operation == null;
      }, 120_000);
      await until('RUNNING on the page', async () => (await card.locator(`[data-pool-deployment="default/${JOB}"]`).innerText()).includes('RUNNING'), 30_000);
      await t.screenshot(page, 'pools');

      // Over the quota: refused with the numbers (the API), nothing started.
      const refused = await t.api('POST', `${dep}/deploy`, { config_overrides: { 'parallelism.default': '3' } });
      equal(refused.status, 409, `over quota: ${refused.text}`);
      equal(refused.json.error.code, 'quota_exceeded');
      equal([refused.json.error.needed, refused.json.error.used, refused.json.error.quota].join(' '), '3 0 2', 'the numbers');

      // The job page: what the deployment uses and from which pool.
      await page.goto(`${t.base}/jobs/default/${JOB}`);
      const uses = page.locator('[data-env="pooled"] [data-test="deployment-resources"]');
      await uses.waitFor({ timeout: 15_000 });
      const text = await uses.innerText();
      assert(text.includes('1 slot') && text.includes('analytics'), `the job page shows the use: ${text}`);
      page.assertNoErrors([/status of 400/, /status of 409/]);
    } finally {
      await t.api('POST', `${dep}/stop`, { savepoint: false });
      await until('the job stopped', async () => {
        const d = (await t.api('GET', dep)).json;
        return d && d.active_operation == null && d.observed_state !== 'RUNNING';
      }, 120_000).catch(() => {});
      await page.closeAll();
    }
  },
};
