// The admin pages: register a cluster and create an environment through their forms.
import { assert, equal } from '../lib/assert.mjs';

export const tests = {
  async 'clusters and environments are registered from their pages'(t) {
    const page = await t.newPage();
    await page.goto(`${t.base}/clusters`);
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
    equal(await page.locator('[data-cluster-row="local"] [data-test="state"]').innerText(), 'RUNNING', 'local is reachable');
    const form = page.locator('[data-test="register-cluster"]');
    await form.locator('input[name="name"]').fill('Bad Name');
    await form.locator('input[name="rest_url"]').fill('http://127.0.0.1:9');
    await form.locator('button[type="submit"]').click();
    await page.locator('.error-box').waitFor({ timeout: 10_000 });
    assert((await page.locator('.error-box').innerText()).includes('invalid cluster name'), 'bad name refused inline');
    await form.locator('input[name="name"]').fill('spare');
    await form.locator('button[type="submit"]').click();
    await page.locator('[data-cluster-row="spare"]').waitFor({ timeout: 15_000 });
    equal(await page.locator('[data-cluster-row="spare"] [data-test="state"]').innerText(), 'UNREACHABLE', 'spare is down');

    // Each kind shows its own settings: a local-application cluster takes a Flink version, not a REST URL.
    await form.locator('[data-test="cluster-kind"]').selectOption('local-application');
    await form.locator('[data-setting="rest_url"]').waitFor({ state: 'hidden', timeout: 5_000 });
    assert(await form.locator('[data-setting="taskmanagers"]').isVisible(), 'taskmanagers shown for local-application');
    assert(await form.locator('[data-setting="zookeeper_quorum"]').isVisible(), 'ZooKeeper shown for local-application');
    await form.locator('input[name="name"]').fill('per-job');
    await form.locator('input[name="flink_version"]').fill('9.9.9');
    await form.locator('button[type="submit"]').click();
    await page.locator('.error-box', { hasText: 'Flink 9.9.9 is not installed' }).waitFor({ timeout: 10_000 });
    await form.locator('input[name="flink_version"]').fill('2.3.0');
    await form.locator('input[name="taskmanagers"]').fill('2');
    await form.locator('button[type="submit"]').click();
    const row = page.locator('[data-cluster-row="per-job"]');
    await row.waitFor({ timeout: 15_000 });
    assert((await row.innerText()).includes('local-application'), 'the kind is listed');
    equal(await row.locator('[data-test="flink-version"]').innerText(), '2.3.0', 'its declared Flink version');
    await form.locator('[data-test="cluster-kind"]').selectOption('flink-session');
    await form.locator('[data-setting="rest_url"]').waitFor({ state: 'visible', timeout: 5_000 });
    assert(!(await form.locator('[data-setting="taskmanagers"]').isVisible()), 'taskmanagers hidden for flink-session');
    await t.screenshot(page, 'clusters');

    // The dashboard shows each cluster's kind and Flink version.
    await page.goto(`${t.base}/`);
    const card = page.locator('[data-test="cluster"][data-cluster="per-job"]');
    await card.waitFor({ timeout: 15_000 });
    equal(await card.locator('[data-test="cluster-kind"]').innerText(), 'local-application', 'kind on the dashboard');
    equal(await card.locator('[data-test="cluster-version"]').innerText(), '2.3.0', 'version on the dashboard');
    equal(await page.locator('[data-test="cluster"][data-cluster="local"] [data-test="cluster-kind"]').innerText(), 'flink-session');
    await t.screenshot(page, 'dashboard-cluster-kinds');
    await page.goto(`${t.base}/clusters`);
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });

    await page.goto(`${t.base}/environments`);
    await page.waitForSelector('[data-test="create-environment"] select[name="cluster"]');
    const env = page.locator('[data-test="create-environment"]');
    await env.locator('input[name="name"]').fill('staging');
    await env.locator('select[name="cluster"]').selectOption('spare');
    await env.locator('textarea[name="flink_config"]').fill('parallelism.default = 2');
    await env.locator('button[type="submit"]').click();
    await page.locator('[data-env-row="staging"]').waitFor({ timeout: 15_000 });
    assert((await page.locator('[data-env-row="staging"]').innerText()).includes('parallelism.default = 2'), 'config kept');
    await t.screenshot(page, 'environments');
    // The refused registration answered 400 (a user error, not a server failure); nothing else may fail.
    page.assertNoErrors([/status of 400/]);
    await page.closeAll();
  },
};
