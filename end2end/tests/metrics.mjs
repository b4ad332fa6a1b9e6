// The Metrics tab in a real browser, against the real Flink: a deployed job's throughput chart is drawn by
// uPlot with data, hovering shows the values, the range buttons and the per-vertex toggle are links that
// change the charts; without JavaScript the same tab shows the latest values and the server-rendered SVG.
// The dashboard shows the deployment's sparklines and the cluster's use over time.
import { assert, equal } from '../lib/assert.mjs';

const SQL = `CREATE TABLE src (k INT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '50',
  'fields.k.min' = '1', 'fields.k.max' = '10');
CREATE TABLE snk (k INT, c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT k, COUNT(*) FROM src GROUP BY k;`;
const JOB = 'metered';

async function waitRunning(t, timeout = 120_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const r = await t.api('GET', `/namespaces/default/jobs/${JOB}/deployments/dev`);
    if (r.json?.observed_state === 'RUNNING') return;
    assert(Date.now() < deadline, `never RUNNING: ${r.text}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** Waits (with a deadline) until the figure's uPlot chart shows at least `min` points. */
async function waitChart(page, id, min = 2, timeout = 90_000) {
  try {
    await page.waitForFunction(
      ([id, min]) => {
        const root = document.querySelector(`figure[data-chart-id="${id}"] .chart-live .uplot`);
        return root && root.querySelector('canvas') && Number(root.dataset.points) >= min;
      },
      [id, min],
      { timeout },
    );
  } catch (e) {
    const spec = await page.locator(`figure[data-chart-id="${id}"]`).first().getAttribute('data-chart').catch(() => null);
    throw new Error(`no uPlot chart '${id}' with ${min} point(s) within ${timeout} ms; its data: ${spec?.slice(0, 400)}; ${e.message}`);
  }
}

export const tests = {
  async 'the Metrics tab charts a running job, live, with hover values and ranges'(t) {
    equal((await t.api('POST', '/namespaces/default/jobs', { name: JOB, kind: 'sql' })).status, 201, 'job created');
    equal((await t.api('POST', `/namespaces/default/jobs/${JOB}/versions`, { sql: SQL, message: 'v1' })).status, 201, 'v1 saved');
    equal((await t.api('POST', `/namespaces/default/jobs/${JOB}/deployments/dev/deploy`, {})).status, 202, 'deploy accepted');
    await waitRunning(t);

    const page = await t.newPage();
    await page.goto(`${t.base}/jobs/default/${JOB}?tab=metrics&range=15m`);
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
    equal(await page.locator('[data-range="15m"]').getAttribute('class'), 'button small active', 'the range in the address is the active one');
    // Live: the tab refetches every 15 s, so the chart fills without a reload.
    await waitChart(page, 'throughput', 2);
    const figure = page.locator('figure[data-chart-id="throughput"]');
    assert(await figure.evaluate((f) => f.classList.contains('enhanced')), 'uPlot replaced the SVG picture');
    assert(!(await figure.locator('.chart-svg').isVisible()), 'the SVG picture is hidden once uPlot draws');

    // Hover: the legend shows the values at the cursor (near the right end, where the samples are).
    const valueShown = () => page.evaluate(() => {
      const v = document.querySelector('figure[data-chart-id="throughput"] .u-legend .u-series:nth-child(2) .u-value');
      return v && /records\/s/.test(v.textContent) ? v.textContent : null;
    });
    let shown = null;
    const hoverDeadline = Date.now() + 30_000;
    for (let i = 0; !shown; i++) {
      if (Date.now() > hoverDeadline) {
        await t.screenshot(page, 'metrics-hover-failed');
      }
      assert(Date.now() < hoverDeadline, 'no value under the cursor within 30 s');
      // A live refresh may be replacing the chart right now: then try again.
      await figure.scrollIntoViewIfNeeded().catch(() => {});
      const box = await figure.locator('.u-over').boundingBox({ timeout: 5_000 }).catch(() => null);
      if (!box || box.width < 100) {
        await page.waitForTimeout(200);
        continue;
      }
      await page.mouse.move(box.x + box.width * (0.97 + (i % 3) * 0.01), box.y + box.height / 2, { steps: 3 });
      await page.waitForTimeout(200);
      shown = await valueShown();
    }
    assert(/\d/.test(shown), `a value under the cursor: ${shown}`);
    await t.screenshot(page, 'metrics-tab');

    // Another range: a link; the address and the charts follow.
    await page.click('[data-range="6h"]');
    await page.waitForURL(/range=6h/);
    await page.waitForFunction(() => {
      const f = document.querySelector('figure[data-chart-id="throughput"]');
      if (!f) return false;
      const spec = JSON.parse(f.getAttribute('data-chart'));
      return spec.to - spec.from === 6 * 3_600_000;
    }, null, { timeout: 30_000 });
    await waitChart(page, 'throughput', 1);
    equal(await page.locator('[data-range="6h"]').getAttribute('class'), 'button small active', '6 h is active');

    // Busy and back-pressure per vertex, on demand.
    await page.click('[data-test="toggle-vertices"]');
    await page.waitForURL(/vertices=1/);
    await waitChart(page, 'busy-vertices', 1, 60_000);
    const vertices = await page.locator('figure[data-chart-id="busy-vertices"] .u-legend .u-series').count();
    assert(vertices >= 2, `a line per vertex (and the time): ${vertices}`);
    await t.screenshot(page, 'metrics-tab-vertices');
    page.assertNoErrors();
    await page.closeAll();
  },

  async 'without JavaScript the Metrics tab shows the latest values and SVG pictures'(t) {
    const page = await t.newPage({ javaScriptEnabled: false });
    await page.goto(`${t.base}/jobs/default/${JOB}?tab=metrics&range=15m`);
    const polylines = await page.locator('figure[data-chart-id="throughput"] svg.chart-svg polyline').count();
    assert(polylines >= 1, 'the server drew the throughput');
    assert(await page.locator('figure[data-chart-id="throughput"] svg.chart-svg').isVisible(), 'the picture is shown');
    const latest = await page.locator('[data-test="latest-values"] [data-metric="records_in_per_s"] td').nth(1).innerText();
    assert(/records\/s/.test(latest), `the latest throughput: ${latest}`);
    await page.click('[data-range="1h"]');
    await page.waitForURL(/range=1h/);
    equal(await page.locator('[data-range="1h"]').getAttribute('class'), 'button small active', 'a plain link changes the range');
    assert((await page.locator('body[data-hydrated]').count()) === 0, 'no WASM ran');
    await t.screenshot(page, 'metrics-no-javascript');

    // The dashboard's trends: the deployment's sparklines and the cluster's use over time.
    await page.goto(`${t.base}/`);
    const row = page.locator(`[data-deployment-trend="default/${JOB}/dev"]`);
    equal(await row.count(), 1, 'a trend row for the deployment');
    assert((await row.locator('[data-spark="throughput"] polyline').count()) >= 1, 'a throughput sparkline');
    assert((await page.locator('[data-cluster-trend="local"] [data-spark="slots-used"] polyline').count()) >= 1, 'the cluster slots over time');
    await t.screenshot(page, 'dashboard-trends');
    await page.closeAll();
    await t.api('POST', `/namespaces/default/jobs/${JOB}/deployments/dev/stop`, { savepoint: false });
  },
};
