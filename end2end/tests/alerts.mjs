// The Alerts page: a namespace's default rules; a webhook channel created through its form (its secret never
// shown); a rule refused inline for a bad threshold, then created; a silence created and ended. Rules and
// channels edited in place (a refused edit shown inline; a rule disabled and enabled; a channel's URL changed
// with its secret kept; an edit as a plain form post without JavaScript). A real alert: a job cancelled behind
// Weir's back on the test Flink fires a rule, shows on the dashboard's attention list, and is silenced for an
// hour with one click.
import { assert, equal } from '../lib/assert.mjs';

/** This file's own job (no other test deploys it). */
const FIRE_JOB = 'alert-fire';
const FIRE_RULE = 'alert-fire-down';
const FIRE_SQL = `CREATE TABLE src (k INT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');
CREATE TABLE snk (k INT) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT k FROM src;`;

/** Polls `check` (an async function answering a value, or null to go on) until it answers, or fails with `what`. */
async function until(what, check, timeout = 90_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const found = await check();
    if (found) return found;
    assert(Date.now() < deadline, `${what} within ${timeout / 1000} s`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** A date as the pages write it (`2025-01-31 12:00:00`, UTC), in milliseconds. */
function shownTime(text) {
  const m = /(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})/.exec(text);
  assert(m, `a time in '${text}'`);
  return Date.parse(`${m[1]}T${m[2]}Z`);
}

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

  async 'rules and channels are edited in place, secrets kept'(t) {
    const ns = '/namespaces/default';
    equal((await t.api('POST', `${ns}/alert-channels`, {
      name: 'edit-hook', kind: 'webhook', config: { url: 'http://127.0.0.1:9/before', secret: 'edit-hook-secret' },
    })).status, 201, 'channel created');
    equal((await t.api('POST', `${ns}/alert-rules`, {
      name: 'edit-me', condition: { kind: 'restarts', threshold: 5, window_s: 300 }, channels: ['edit-hook'],
    })).status, 201, 'rule created');

    const page = await t.newPage();
    await page.goto(`${t.base}/alerts?ns=default`);
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });

    // The rule's Edit form shows what it is now; a new threshold is saved and shown.
    const row = page.locator('[data-rule="edit-me"]');
    await row.locator('[data-test="edit-rule-open"]').click();
    const form = row.locator('[data-test="edit-rule"]');
    await form.waitFor();
    equal(await form.locator('select[name="kind"]').inputValue(), 'restarts', 'the condition is filled in');
    equal(await form.locator('input[name="threshold"]').inputValue(), '5', 'the threshold is filled in');
    equal(await form.locator('input[name="window_s"]').inputValue(), '300', 'the window is filled in');
    equal(await form.locator('input[name="channels"]').inputValue(), 'edit-hook', 'the channels are filled in');
    await t.screenshot(page, 'alerts-edit-rule');
    await form.locator('input[name="threshold"]').fill('7');
    await form.locator('button[type="submit"]').click();
    await page.waitForFunction(
      () => document.querySelector('[data-rule="edit-me"] [data-test="meaning"]')?.textContent === '7 or more restarts within 300 s',
      null,
      { timeout: 15_000 },
    );
    await form.waitFor({ state: 'hidden', timeout: 5_000 });
    let rule = (await t.api('GET', `${ns}/alert-rules/edit-me`)).json;
    equal(rule.condition.threshold, 7, 'the new threshold is stored');
    equal(JSON.stringify(rule.channels), '["edit-hook"]', 'the channels are kept');

    // A bad edit is refused inline, and changes nothing.
    await row.locator('[data-test="edit-rule-open"]').click();
    await form.locator('input[name="window_s"]').fill('0');
    await form.locator('button[type="submit"]').click();
    const refused = page.locator('[data-test="rules"] .error-box');
    await refused.waitFor({ timeout: 15_000 });
    assert((await refused.innerText()).includes('window_s must be between'), `refused inline: ${await refused.innerText()}`);
    equal((await t.api('GET', `${ns}/alert-rules/edit-me`)).json.condition.window_s, 300, 'the window is unchanged');
    assert(await form.isVisible(), 'the refused form stays open');
    await row.locator('[data-test="edit-rule-open"]').click();

    // Disabled, then enabled again, with one click each.
    await row.locator('[data-test="toggle-rule"] button').click();
    await row.locator('[data-test="disabled"]').waitFor({ timeout: 15_000 });
    equal((await t.api('GET', `${ns}/alert-rules/edit-me`)).json.enabled, false, 'the rule is disabled');
    equal(await row.locator('[data-test="toggle-rule"] button').innerText(), 'Enable', 'it offers to enable it again');
    await row.locator('[data-test="toggle-rule"] button').click();
    await row.locator('[data-test="disabled"]').waitFor({ state: 'detached', timeout: 15_000 });
    equal((await t.api('GET', `${ns}/alert-rules/edit-me`)).json.enabled, true, 'the rule is enabled');

    // The channel's Edit form: its URL filled in, its secret never; a new URL with the secret left empty keeps it.
    const channel = page.locator('[data-channel="edit-hook"]');
    await channel.locator('[data-test="edit-channel-open"]').click();
    const edit = channel.locator('[data-test="edit-channel"]');
    await edit.waitFor();
    equal(await edit.locator('input[name="url"]').inputValue(), 'http://127.0.0.1:9/before', 'the URL is filled in');
    equal(await edit.locator('input[name="secret"]').inputValue(), '', 'the secret is not filled in');
    await t.screenshot(page, 'alerts-edit-channel');
    await edit.locator('input[name="url"]').fill('http://127.0.0.1:9/after');
    await edit.locator('button[type="submit"]').click();
    await page.waitForFunction(
      () => document.querySelector('[data-channel="edit-hook"] [data-test="settings"]')?.textContent.includes('http://127.0.0.1:9/after'),
      null,
      { timeout: 15_000 },
    );
    await edit.waitFor({ state: 'hidden', timeout: 5_000 });
    equal(await channel.locator('[data-test="secret"]').innerText(), 'set (hidden)', 'the secret is still set');
    assert(!(await page.content()).includes('edit-hook-secret'), 'the secret is nowhere on the page');
    const stored = (await t.api('GET', `${ns}/alert-channels/edit-hook`)).json;
    equal(stored.config.url, 'http://127.0.0.1:9/after', 'the new URL is stored');
    equal(stored.secret_set, true, 'the stored secret is kept');
    page.assertNoErrors([/status of 400/]);
    await page.closeAll();

    // Without JavaScript the same form is a plain post, and the page comes back with the change.
    const plain = await t.newPage({ javaScriptEnabled: false });
    await plain.goto(`${t.base}/alerts?ns=default`);
    const plainRow = plain.locator('[data-rule="edit-me"]');
    await plainRow.locator('[data-test="edit-rule-open"]').click();
    await plainRow.locator('[data-test="edit-rule"] input[name="window_s"]').fill('600');
    await Promise.all([
      plain.waitForNavigation({ waitUntil: 'load' }),
      plainRow.locator('[data-test="edit-rule"] button[type="submit"]').click(),
    ]);
    equal(await plainRow.locator('[data-test="meaning"]').innerText(), '7 or more restarts within 600 s', 'edited by a plain form post');
    assert((await plain.locator('body[data-hydrated]').count()) === 0, 'no WASM ran');
    await plain.closeAll();
    equal((await t.api('DELETE', `${ns}/alert-rules/edit-me`)).status, 204, 'rule deleted');
    equal((await t.api('DELETE', `${ns}/alert-channels/edit-hook`)).status, 204, 'channel deleted');
  },

  async 'a job cancelled behind Weir\'s back fires an alert, shown on the dashboard and silenced for 1 h'(t) {
    const ns = '/namespaces/default';
    const dep = `${ns}/jobs/${FIRE_JOB}/deployments/dev`;
    equal((await t.api('POST', `${ns}/jobs`, { name: FIRE_JOB, kind: 'sql' })).status, 201, 'job created');
    equal((await t.api('POST', `${ns}/jobs/${FIRE_JOB}/versions`, { sql: FIRE_SQL, message: 'v1' })).status, 201, 'v1 saved');
    const page = await t.newPage();
    try {
      equal((await t.api('POST', `${dep}/deploy`, {})).status, 202, 'deploy accepted');
      const running = await until('the job RUNNING', async () => {
        const d = (await t.api('GET', dep)).json;
        return d?.observed_state === 'RUNNING' && d.active_operation == null && d.flink_job_id ? d : null;
      }, 120_000);
      equal((await t.api('POST', `${ns}/alert-rules`, {
        name: FIRE_RULE, condition: { kind: 'not_desired_state', for_s: 0 }, job: FIRE_JOB,
      })).status, 201, 'rule created');

      // Cancelled on the Flink itself, not through Weir: the deployment is no longer in its desired state.
      const cancel = await fetch(`${t.flinkUrl}/jobs/${running.flink_job_id}?mode=cancel`, { method: 'PATCH' });
      assert(cancel.ok, `Flink accepted the cancel (${cancel.status})`);
      await until('the alert firing', async () => {
        const alerts = (await t.api('GET', '/alerts')).json ?? [];
        return alerts.find((a) => a.job === FIRE_JOB && a.rule === FIRE_RULE && a.state === 'firing');
      });

      // The dashboard's attention list names it.
      await page.goto(`${t.base}/`);
      const listed = page.locator('[data-test="attention"] [data-test="firing-alert"]', { hasText: FIRE_RULE });
      await listed.waitFor({ timeout: 15_000 });
      assert((await listed.innerText()).includes(`${FIRE_JOB} in dev`), `the firing alert on the dashboard: ${await listed.innerText()}`);

      // The Alerts page: firing now; "Silence 1 h" mutes the deployment for an hour.
      await page.goto(`${t.base}/alerts?ns=default`);
      await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
      const firing = page.locator(`[data-test="firing"] tr[data-alert="default/${FIRE_JOB}/dev/${FIRE_RULE}"]`);
      await firing.waitFor({ timeout: 15_000 });
      assert((await firing.innerText()).includes('firing'), `the alert is firing: ${await firing.innerText()}`);
      equal(await firing.locator('[data-test="silenced"]').count(), 0, 'not silenced yet');
      const clicked = Date.now();
      await firing.locator('[data-test="silence-1h"] button').click();
      await firing.locator('[data-test="silenced"]').waitFor({ timeout: 15_000 });
      const silence = page.locator('[data-test="silence-list"] tr', { hasText: `job=${FIRE_JOB}` });
      await silence.waitFor({ timeout: 15_000 });
      const silenceText = await silence.innerText();
      assert(silenceText.includes('environment=dev'), `the silence matches the deployment: ${silenceText}`);
      const ahead = shownTime(silenceText) - clicked;
      assert(ahead > 58 * 60_000 && ahead < 62 * 60_000, `the silence lasts about 1 h (${Math.round(ahead / 60_000)} min): ${silenceText}`);
      await t.screenshot(page, 'alerts-firing-silenced');

      // The dashboard says so too.
      await page.goto(`${t.base}/`);
      await listed.locator('.badge', { hasText: 'silenced' }).waitFor({ timeout: 15_000 });
      page.assertNoErrors();
    } finally {
      // Leave nothing behind for the other tests: the rule and the silences gone, and the deployment in its
      // desired state. Weir refuses to stop a job that is already gone, so run it again and stop it through Weir.
      await page.closeAll();
      await t.api('DELETE', `${ns}/alert-rules/${FIRE_RULE}`);
      for (const s of (await t.api('GET', `${ns}/silences`)).json ?? []) {
        if (s.matchers?.job === FIRE_JOB) await t.api('DELETE', `${ns}/silences/${s.id}`);
      }
      const idle = async () => {
        const d = (await t.api('GET', dep)).json;
        return d && d.active_operation == null ? d : null;
      };
      const before = await until('no operation in flight', idle, 120_000).catch(() => null);
      if (before?.flink_job_id && before.desired_state === 'running' && before.observed_state !== 'RUNNING') {
        await t.api('POST', `${dep}/deploy`, { restore: 'none' });
        await until('the job RUNNING again', async () => ((await idle())?.observed_state === 'RUNNING' ? true : null), 120_000).catch(() => {});
      }
      if (before?.flink_job_id) {
        await t.api('POST', `${dep}/stop`, { savepoint: false });
        await until('the job stopped', async () => ((await idle())?.desired_state === 'cancelled' ? true : null), 60_000).catch(() => {});
      }
    }
  },
};
