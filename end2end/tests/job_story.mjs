// One story in a real browser, against the real Flink: create a SQL job, see a validation error at the right
// line, fix it, save v1, deploy to dev and see RUNNING, stop with savepoint and see the savepoint path, save v2,
// deploy it restoring state, roll back to v1 and see it RUNNING again; the dashboard shows slots in use.
import { assert, equal } from '../lib/assert.mjs';

const BROKEN = `CREATE TABLE src (k INT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '20',
  'fields.k.min' = '1', 'fields.k.max' = '10');
CREATE TABLE snk (k INT, c BIGINT, tag STRING) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT k, COUNT(*), 'v1' FROM src GROUP BY kk;`;
const V1 = BROKEN.replace('GROUP BY kk', 'GROUP BY k');
const V2 = V1.replace("'v1'", "'v2'");

/** Replaces the SQL in the editor (CodeMirror once the page is hydrated), as a person would by typing. */
async function setSql(page, text) {
  const editor = page.locator('.editor-host .cm-content');
  await editor.waitFor({ timeout: 30_000 });
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

/** Opens the environment's Deploy dialog (unless open) and submits it with its defaults. */
async function deploy(page, env) {
  const dialog = page.locator(`[data-env="${env}"] details:has([data-test="deploy-submit"])`);
  if (!(await dialog.evaluate((d) => d.open))) {
    await dialog.locator('[data-test="deploy-open"]').click();
  }
  await dialog.locator('[data-test="deploy-submit"]').click();
}

async function waitState(page, env, want, timeout = 90_000) {
  await page.waitForFunction(
    ([env, want]) => document.querySelector(`[data-env="${env}"] [data-test="state"]`)?.textContent === want,
    [env, want],
    { timeout },
  );
}

/** Waits until the page shows the newest operation, of this kind, ended with `status`. */
async function waitOperation(page, kind, status = 'succeeded', timeout = 120_000) {
  await page.waitForFunction(
    ([kind, status]) => {
      const op = document.querySelector('[data-test="operation"]');
      return op?.dataset.kind === kind && op?.dataset.status === status;
    },
    [kind, status],
    { timeout },
  );
}

export const tests = {
  async 'a SQL job from editor to rollback, live'(t) {
    const page = await t.newPage();
    await page.goto(`${t.base}/jobs`);
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
    await t.screenshot(page, 'jobs-empty');
    await page.fill('[data-test="job-name"]', 'story');
    await page.click('[data-test="create-job"] button[type="submit"]');
    await page.waitForURL('**/jobs/default/story');

    // Editor: completion offers the tables (and their columns) the script declares.
    await page.click('[data-test="tab-editor"]');
    await page.waitForSelector('.editor-host .cm-content');
    await setSql(page, "CREATE TABLE clicks (user_id INT, url STRING) WITH ('connector' = 'datagen');\nINSERT INTO cli");
    await page.waitForTimeout(400); // the schema is re-read 300 ms after typing
    await page.keyboard.press('Control+Space');
    // The declared table is offered (waitFor fails the test if it never is).
    await page.locator('.cm-tooltip-autocomplete li', { hasText: 'clicks' }).waitFor({ timeout: 10_000 });
    await t.screenshot(page, 'editor-completion');
    await page.keyboard.press('Escape');

    // A broken statement shows the planner's error at its line.
    await setSql(page, BROKEN);
    equal(await page.inputValue('[data-test="sql"]'), BROKEN, 'the form field follows the editor');
    await page.click('[data-test="validate"]');
    const err = page.locator('[data-test="sql-error"]').first();
    await err.waitFor({ timeout: 60_000 });
    equal(await err.getAttribute('data-line'), '4', 'the error is on line 4');
    assert((await err.innerText()).includes('kk'), 'the message names the unknown column');
    // The editor marks it where it is: line 4, on `kk`.
    const marked = page.locator('.cm-lintRange-error');
    await marked.first().waitFor({ timeout: 10_000 });
    equal(await marked.first().innerText(), 'kk', 'the error is marked on the unknown column');
    await t.screenshot(page, 'editor-error');



    // Fixed: valid, with a plan; save v1.
    await setSql(page, V1);
    await page.click('[data-test="validate"]');
    await page.waitForSelector('[data-test="check"][data-valid="true"]', { timeout: 30_000 });
    // The check previews the column lineage before saving: each written column and where it comes from.
    const preview = await page.locator('[data-test="check-lineage"]').innerText();
    assert(preview.includes('Column lineage: reads') && preview.includes('←'), `the lineage preview: ${preview}`);
    await page.fill('[data-test="message"]', 'first version');
    await page.click('[data-test="save"]');
    await page.waitForSelector('[data-test="saved"]', { timeout: 30_000 });
    equal(await page.locator('[data-test="saved"]').innerText(), 'Saved version 1', 'saved');

    // Deploy v1 to dev: RUNNING arrives live.
    await deploy(page, 'dev');
    await waitOperation(page, 'deploy');
    await waitState(page, 'dev', 'RUNNING');
    await t.screenshot(page, 'job-running');

    // Stop with savepoint: one click; the savepoint path appears.
    await page.click('[data-env="dev"] [data-test="stop-savepoint"]');
    await waitOperation(page, 'stop');
    const spStep = page.locator('[data-test="operation"] [data-step="stop-with-savepoint"]');
    assert((await spStep.innerText()).includes('savepoint-'), 'the savepoint path is shown');
    await waitState(page, 'dev', 'FINISHED');
    await t.screenshot(page, 'job-stopped');

    // v2, deployed restoring state.
    await page.click('[data-test="tab-editor"]');
    await setSql(page, V2);
    await page.fill('[data-test="message"]', 'second version');
    await page.click('[data-test="save"]');
    await page.waitForFunction(() => document.querySelector('[data-test="saved"]')?.textContent === 'Saved version 2', null, { timeout: 30_000 });
    await deploy(page, 'dev');
    await waitOperation(page, 'deploy');
    await waitState(page, 'dev', 'RUNNING');
    const chosen = await page.locator('[data-test="operation"] [data-step="choose-restore"]').innerText();
    assert(chosen.includes('savepoint-'), `v2 restores from the savepoint: ${chosen}`);

    // Rollback to v1, keeping state.
    await page.click('[data-test="tab-versions"]');
    const v1 = page.locator('[data-version="1"]');
    if (!(await v1.locator('details').evaluate((d) => d.open))) {
      await v1.locator('[data-test="rollback-open"]').click();
    }
    await v1.locator('[data-test="rollback-submit"]').click();
    await waitOperation(page, 'rollback');
    await waitState(page, 'dev', 'RUNNING');
    assert((await page.locator('[data-env="dev"]').innerText()).includes('version 1'), 'v1 runs again');
    await t.screenshot(page, 'job-rolled-back');

    // Side-by-side diff of v1 and v2.
    const diff = page.locator('[data-test="diff"]');
    await diff.locator('tr.del').first().waitFor({ timeout: 15_000 });
    assert((await diff.locator('tr.del').first().innerText()).includes("'v1'"), 'v1 side shows the removed line');
    assert((await diff.locator('tr.add').first().innerText()).includes("'v2'"), 'v2 side shows the added line');
    await t.screenshot(page, 'job-versions-diff');

    // An unsaved edit survives a tab switch and is flagged.
    await page.click('[data-test="tab-editor"]');
    await setSql(page, V2 + '\n-- draft');
    await page.click('[data-test="tab-history"]');
    await page.click('[data-test="tab-editor"]');
    assert((await page.inputValue('[data-test="sql"]')).endsWith('-- draft'), 'the draft is kept');
    await page.waitForSelector('[data-test="unsaved"]');
    // Leaving for another page asks first; declining keeps the draft here.
    page.once('dialog', (d) => d.dismiss());
    await page.click('.top-bar a[href="/jobs"]');
    await page.waitForTimeout(300);
    assert(page.url().includes('/jobs/default/story'), 'still on the job page after declining to leave');
    assert((await page.inputValue('[data-test="sql"]')).endsWith('-- draft'), 'the draft is still there');

    await page.click('[data-test="tab-history"]');
    await page.waitForSelector('[data-test="history"]');
    equal(await page.locator('[data-test="history"] tbody tr').count(), 4, 'four operations in the history');
    await t.screenshot(page, 'job-history');

    // Restore from a snapshot: a deploy from that path.
    await page.click('[data-test="tab-snapshots"]');
    await page.waitForSelector('[data-test="snapshots"]');
    await t.screenshot(page, 'job-snapshots');
    const snapshot = page.locator('[data-test="snapshots"] tbody tr').last();
    const path = await snapshot.locator('code.path').innerText();
    await snapshot.locator('[data-test="restore-snapshot"]').click();
    await waitOperation(page, 'deploy');
    await waitState(page, 'dev', 'RUNNING');
    const restored = await page.locator('[data-test="operation"] [data-step="choose-restore"]').innerText();
    assert(restored.includes(path), `restored from the chosen snapshot ${path}: ${restored}`);

    // Settings: a new version with the same SQL and new defaults.
    await page.click('[data-test="tab-settings"]');
    await page.fill('[data-test="parallelism"]', '1');
    await page.fill('[data-test="flink-config"]', 'pipeline.auto-watermark-interval = 300ms');
    await page.click('[data-test="settings-save"]');
    await page.waitForSelector('[data-test="settings-saved"]', { timeout: 30_000 });
    equal(await page.locator('[data-test="settings-saved"]').innerText(), 'Saved version 3', 'settings saved as v3');
    await t.screenshot(page, 'job-settings');

    // The dashboard shows the cluster's slots in use.
    // (What the reconciler last saw: a look or two after the job settled, so read it again until then.)
    let slots = '';
    for (const deadline = Date.now() + 20_000; ; ) {
      await page.goto(`${t.base}/`);
      slots = await page.locator('[data-cluster="local"] [data-test="slots"]').innerText();
      if (!slots.startsWith('0 used') || Date.now() > deadline) break;
      await page.waitForTimeout(1000);
    }
    assert(!slots.startsWith('0 used'), `slots in use: ${slots}`);
    equal(await page.locator('[data-env-row="dev"] [data-test="running"]').innerText(), '1', 'dev has one running deployment');
    assert((await page.locator('[data-cluster="local"] [data-test="taskmanager"]').count()) >= 1, 'TaskManager resources shown');
    await t.screenshot(page, 'dashboard-with-job');
    page.assertNoErrors();
    await page.closeAll();
  },
};
