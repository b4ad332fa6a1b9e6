// The Resources tab in a real browser, against the real Flink: a job kept busy by its input gets an "increase
// parallelism" recommendation; the tab shows it with its explanation, the busy vertex's figures, memory from the
// observed heap and the slots it would need; the dashboard lists it; Dismiss (with a reason) hides it, inline.
import { assert, equal } from '../lib/assert.mjs';

const JOB = 'hungry';
const SQL = `CREATE TABLE src (k INT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1000000',
  'fields.k.min' = '1', 'fields.k.max' = '100000');
CREATE TABLE snk (k INT, c BIGINT, s BIGINT, lo BIGINT, hi BIGINT, a BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT k, COUNT(*), SUM(v), MIN(v), MAX(v), AVG(v) FROM src GROUP BY k;`;
const DEP = `/namespaces/default/jobs/${JOB}/deployments/dev`;

async function waitStatus(t, status, timeout = 150_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const r = await t.api('GET', `${DEP}/recommendation`);
    if (r.json?.status === status) return r.json;
    assert(Date.now() < deadline, `no '${status}' recommendation within ${timeout} ms: ${r.text.slice(0, 600)}`);
    await new Promise((res) => setTimeout(res, 2000));
  }
}

export const tests = {
  async 'the Resources tab explains a recommendation, the dashboard lists it, Dismiss hides it'(t) {
    // Short windows for this environment (the sampler runs every 15 s here: a 50 s window holds 3 samples).
    const settings = { stabilization_s: 10, window_s: 50, scale_down_after_s: 60 };
    equal((await t.api('PATCH', '/environments/dev', { recommendations: settings })).status, 200, 'settings saved');
    try {
      equal((await t.api('POST', '/namespaces/default/jobs', { name: JOB, kind: 'sql' })).status, 201, 'job created');
      equal((await t.api('POST', `/namespaces/default/jobs/${JOB}/versions`, { sql: SQL, parallelism: 1, message: 'v1' })).status, 201, 'v1 saved');
      equal((await t.api('POST', `${DEP}/deploy`, {})).status, 202, 'deploy accepted');

      const page = await t.newPage();
      await page.goto(`${t.base}/jobs/default/${JOB}?tab=resources`);
      await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
      await page.waitForSelector('[data-test=recommendation]', { timeout: 30_000 });
      const early = await page.locator('[data-test=recommendation]').getAttribute('data-status');
      assert(early === 'collecting', `right after the deploy it collects: ${early}`);

      const rec = await waitStatus(t, 'ready');
      assert(rec.parallelism.recommended > 1, `an increase: ${JSON.stringify(rec.parallelism)}`);

      await page.reload();
      await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
      await page.waitForSelector('[data-test=recommendation][data-status=ready]', { timeout: 30_000 });
      const explanation = await page.locator('[data-test=rec-explanation]').textContent();
      assert(/^p=1 -> \d+: vertex '.*GroupAggregate/.test(explanation), `the explanation names the busy vertex: ${explanation}`);
      assert((await page.locator('[data-test=rec-cost]').textContent()).includes('Needs'), 'the slots it would need');
      const busyRow = page.locator('[data-test=rec-vertices] tr', { hasText: 'GroupAggregate' });
      assert(/\d+%/.test(await busyRow.textContent()), 'the busy vertex with its busy ratio');
      const heap = await page.locator('[data-test=rec-memory] tr[data-component=taskmanager_heap]').textContent();
      assert(/observed peak \d+ MiB x 1.2 headroom/.test(heap), `memory from the observed heap: ${heap}`);
      assert((await page.locator('[data-test=rec-apply] button').textContent()).startsWith('Apply: parallelism 1 ->'), 'Apply shown');
      await t.screenshot(page, 'recommendations-resources');

      // The dashboard lists the deployment with what it would need.
      const dash = await t.newPage();
      await dash.goto(`${t.base}/`);
      await dash.waitForSelector('[data-test=pending-recommendations]', { timeout: 60_000 });
      const row = await dash.locator(`[data-test=pending-recommendations] tr[data-job=${JOB}]`).textContent();
      assert(/needs \d+ more slot/.test(row), `the dashboard's row: ${row}`);
      await t.screenshot(dash, 'recommendations-dashboard');
      dash.assertNoErrors();
      await dash.closeAll();

      // Dismiss with a reason: the tab shows why it is no longer advised. The reason is typed and submitted in
      // one step: the live job page re-renders its tabs when the job's figures change, which empties a field
      // typed into earlier (a known limit, see README).
      await page.waitForSelector('[data-test=rec-dismiss] input[name=reason]');
      await page.evaluate(() => {
        const form = document.querySelector('[data-test=rec-dismiss]');
        form.querySelector('input[name=reason]').value = 'load test tomorrow';
        form.requestSubmit();
      });
      await page.waitForSelector('[data-test=recommendation][data-status=no_change]', { timeout: 30_000 });
      const reason = await page.locator('[data-test=rec-reason]').textContent();
      assert(reason.includes('was dismissed by admin') && reason.includes('load test tomorrow'), `the dismissal: ${reason}`);
      await t.screenshot(page, 'recommendations-dismissed');
      const history = (await t.api('GET', `${DEP}/recommendation/history`)).json;
      equal(history[0].action, 'dismissed', 'the dismissal is in the history');
      page.assertNoErrors();
      await page.closeAll();
    } finally {
      await t.api('POST', `${DEP}/stop`, { savepoint: false });
      await t.api('PATCH', '/environments/dev', { recommendations: null });
    }
  },
};
