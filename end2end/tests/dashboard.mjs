// The dashboard at `/`: rendered on the server with live data from the real Flink, then hydrated by WASM.
import { assert, equal } from '../lib/assert.mjs';

async function flinkOverview(flinkUrl) {
  const r = await fetch(`${flinkUrl}/overview`);
  assert(r.ok, `Flink answers /overview (${r.status})`);
  return r.json();
}

export const tests = {
  async 'the dashboard shows the local cluster from the server, without JavaScript'(t) {
    const page = await t.newPage({ javaScriptEnabled: false });
    const response = await page.goto(`${t.base}/`);
    equal(response.status(), 200, 'status of /');
    const card = page.locator('[data-cluster="local"]');
    equal(await card.count(), 1, 'one card for cluster local');
    equal(await card.locator('[data-test="reachability"]').innerText(), 'reachable', 'reachability');
    const o = await flinkOverview(t.flinkUrl);
    equal(await card.locator('[data-test="flink-version"]').innerText(), o['flink-version'], 'Flink version');
    equal(await card.locator('[data-test="taskmanagers"]').innerText(), String(o.taskmanagers), 'TaskManagers');
    const used = o['slots-total'] - o['slots-available'];
    equal(await card.locator('[data-test="slots"]').innerText(), `${used} used of ${o['slots-total']}`, 'slots');
    assert((await page.locator('body[data-hydrated]').count()) === 0, 'no hydration without JavaScript');
    await t.screenshot(page, 'dashboard-no-js');
    await page.closeAll();
  },

  async 'the dashboard hydrates and its Refresh button is handled by WASM'(t) {
    const page = await t.newPage();
    await page.goto(`${t.base}/`);
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
    const checked = page.locator('[data-test="checked-at"]');
    const before = await checked.innerText();
    // The time is shown to the second: wait for the next second, so a refetch must change it.
    await page.waitForTimeout(1100);
    await page.click('[data-test="refresh"]');
    await page.waitForFunction(
      (old) => document.querySelector('[data-test="checked-at"]')?.textContent !== old,
      before,
      { timeout: 10_000 },
    );
    const after = await checked.innerText();
    assert(after !== before, `the check time changed after Refresh (${before} -> ${after})`);
    equal(await page.locator('[data-cluster="local"] [data-test="reachability"]').innerText(), 'reachable', 'still reachable');
    await t.screenshot(page, 'dashboard');
    page.assertNoErrors();
    await page.closeAll();
  },

  async 'an unknown page answers 404 with the not-found page'(t) {
    const page = await t.newPage();
    const response = await page.goto(`${t.base}/no/such/page`);
    equal(response.status(), 404, 'status');
    assert((await page.locator('text=Page not found').count()) === 1, 'not-found text shown');
    await page.closeAll();
  },
};
