// Progressive enhancement: with JavaScript disabled, the core forms still work end to end — create a job, save
// a version from the textarea, deploy it, stop it with a savepoint — as plain HTML form posts.
import { assert, equal } from '../lib/assert.mjs';

const SQL = `CREATE TABLE src (k INT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');
CREATE TABLE snk (k INT, c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT k, COUNT(*) FROM src GROUP BY k;`;

/** Reloads the page until the environment shows `state` (no live updates without JavaScript). */
async function reloadUntil(page, env, state, timeout = 90_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const shown = await page.locator(`[data-env="${env}"] [data-test="state"]`).first().innerText();
    if (shown === state) return;
    assert(Date.now() < deadline, `never ${state} (last ${shown})`);
    await page.waitForTimeout(500);
    await page.reload();
  }
}

export const tests = {
  async 'the core forms work without JavaScript'(t) {
    const page = await t.newPage({ javaScriptEnabled: false });
    await page.goto(`${t.base}/jobs`);
    await page.fill('[data-test="job-name"]', 'plain-forms');
    await page.click('[data-test="create-job"] button[type="submit"]');
    await page.waitForURL('**/jobs/default/plain-forms');

    await page.goto(`${t.base}/jobs/default/plain-forms?tab=editor`);
    await page.fill('[data-test="sql"]', SQL);
    await page.fill('[data-test="message"]', 'from a plain form');
    await page.click('[data-test="save"]');
    await page.goto(`${t.base}/jobs/default/plain-forms?tab=versions`);
    equal(await page.locator('[data-version="1"] td').nth(3).innerText(), 'from a plain form', 'v1 saved');

    // The Deploy dialog is a <details>: open it without script by clicking its summary.
    await page.click('[data-env="dev"] [data-test="deploy-open"]');
    await page.click('[data-env="dev"] [data-test="deploy-submit"]');
    await reloadUntil(page, 'dev', 'RUNNING');
    await page.click('[data-env="dev"] [data-test="stop-savepoint"]');
    await reloadUntil(page, 'dev', 'FINISHED');
    const op = page.locator('[data-test="operation"]');
    equal(await op.getAttribute('data-kind'), 'stop', 'the stop is the latest operation');
    assert((await op.innerText()).includes('savepoint-'), 'the savepoint path is shown');
    assert((await page.locator('body[data-hydrated]').count()) === 0, 'no WASM ran');
    await t.screenshot(page, 'no-javascript-job');
    await page.closeAll();
  },
};
