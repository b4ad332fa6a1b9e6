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
    await t.screenshot(page, 'clusters');

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
