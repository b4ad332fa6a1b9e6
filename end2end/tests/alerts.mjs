// The Alerts page: a namespace's default rules; a webhook channel created through its form (its secret never
// shown); a rule refused inline for a bad threshold, then created; a silence created and ended.
import { assert, equal } from '../lib/assert.mjs';

export const tests = {
  async 'rules, channels and silences are managed from the Alerts page'(t) {
    const page = await t.newPage();
    await page.goto(`${t.base}/alerts?ns=default`);
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
    for (const rule of ['not-in-desired-state', 'restarting', 'checkpoints-failing', 'operation-failed']) {
      equal(await page.locator(`[data-rule="${rule}"]`).count(), 1, `default rule ${rule} listed`);
    }
    await page.locator('[data-test="firing-now"]').waitFor();

    // A webhook channel: listed, its secret only said to be set.
    const channel = page.locator('[data-test="create-channel"]');
    await channel.locator('input[name="name"]').fill('ops-hook');
    await channel.locator('select[name="kind"]').selectOption('webhook');
    await channel.locator('input[name="url"]').fill('http://127.0.0.1:9/unused');
    await channel.locator('input[name="secret"]').fill('very-secret-value');
    await channel.locator('button[type="submit"]').click();
    const row = page.locator('[data-channel="ops-hook"]');
    await row.waitFor({ timeout: 15_000 });
    const rowText = await row.innerText();
    assert(rowText.includes('http://127.0.0.1:9/unused'), `the URL is shown: ${rowText}`);
    assert(!(await page.content()).includes('very-secret-value'), 'the secret is nowhere on the page');
    equal(await row.locator('[data-test="secret"]').innerText(), 'set (hidden)', 'the secret is said to be set');

    // A rule with a bad threshold is refused inline; a good one is listed with its channel.
    const rule = page.locator('[data-test="create-rule"]');
    await rule.locator('input[name="name"]').fill('many-restarts');
    await rule.locator('select[name="kind"]').selectOption('restarts');
    await rule.locator('input[name="threshold"]').fill('lots');
    await rule.locator('input[name="channels"]').fill('ops-hook');
    await rule.locator('button[type="submit"]').click();
    const refused = page.locator('[data-test="rules"] .error-box');
    await refused.waitFor({ timeout: 10_000 });
    assert((await refused.innerText()).includes("threshold 'lots' is not a number"), `refused inline: ${await refused.innerText()}`);
    await rule.locator('input[name="threshold"]').fill('5');
    await rule.locator('input[name="window_s"]').fill('300');
    await rule.locator('button[type="submit"]').click();
    const created = page.locator('[data-rule="many-restarts"]');
    await created.waitFor({ timeout: 15_000 });
    assert((await created.innerText()).includes('ops-hook'), 'the rule notifies the channel');

    // A silence: listed, then ended.
    const silence = page.locator('[data-test="create-silence"]');
    await silence.locator('input[name="job"]').fill('orders');
    await silence.locator('input[name="hours"]').fill('2');
    await silence.locator('input[name="comment"]').fill('maintenance window');
    await silence.locator('button[type="submit"]').click();
    const listed = page.locator('[data-test="silence-list"] tr', { hasText: 'maintenance window' });
    await listed.waitFor({ timeout: 15_000 });
    assert((await listed.innerText()).includes('job=orders'), 'the silence says what it matches');
    await t.screenshot(page, 'alerts');
    await listed.locator('button[type="submit"]').click();
    await listed.waitFor({ state: 'detached', timeout: 15_000 });

    // The dashboard and the top bar lead here.
    equal(await page.locator('nav a[href="/alerts"]').count(), 1, 'the top bar links to the Alerts page');
    // The refused rule answered 400 (a user error); nothing else may fail.
    page.assertNoErrors([/status of 400/]);
    await page.closeAll();
  },
};
