// Accounts and access in the browser: logging in (a wrong password is refused inline), being denied a page of a
// namespace one has no role in, logging out; an owner's members and audit pages; an API token shown once.
import { assert, equal } from '../lib/assert.mjs';

export const tests = {
  async 'a user logs in, is denied another namespace, and logs out'(t) {
    const erin = { name: 'erin', password: 'erin-password-1' };
    equal((await t.api('POST', '/namespaces', { name: 'secret' })).status, 201, 'namespace created');
    equal((await t.api('POST', '/namespaces/secret/jobs', { name: 'hidden', kind: 'sql' })).status, 201, 'job created');
    equal((await t.api('POST', '/users', erin)).status, 201, 'user created');
    equal((await t.api('PUT', '/namespaces/default/members/erin', { role: 'editor' })).status, 200, 'erin edits default');

    // Nobody signed in: every page leads to the login page, which comes back to where it was asked for.
    const page = await t.newPage({ as: null });
    await page.goto(`${t.base}/jobs`);
    assert(page.url().includes('/login?next=%2Fjobs'), `redirected to the login page: ${page.url()}`);
    await page.fill('[data-test=login-name]', erin.name);
    await page.fill('[data-test=login-password]', 'not-her-password');
    await page.click('[data-test=login-submit]');
    await page.locator('.error-box').waitFor({ timeout: 10_000 });
    equal(await page.locator('.error-box').innerText(), 'wrong name or password', 'refused inline, without saying which');
    await t.screenshot(page, 'login-refused');
    await page.fill('[data-test=login-name]', erin.name);
    await page.fill('[data-test=login-password]', erin.password);
    await Promise.all([page.waitForURL(/\/jobs$/), page.click('[data-test=login-submit]')]);
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
    equal(await page.locator('[data-test=me]').innerText(), 'erin', 'the top bar says who is signed in');

    // A namespace erin has no role in: the page says so and shows nothing of it.
    await page.goto(`${t.base}/jobs/secret/hidden`);
    await page.locator('.error-box').waitFor({ timeout: 15_000 });
    const denied = await page.locator('.error-box').first().innerText();
    assert(denied.includes("no role in namespace 'secret'"), `denied with the reason: ${denied}`);
    equal(await page.locator('[data-test=job-title]').count(), 0, 'nothing of the job is shown');
    await t.screenshot(page, 'namespace-denied');
    // Nor may an editor read the audit log or manage users.
    await page.goto(`${t.base}/audit`);
    await page.locator('.error-box').waitFor({ timeout: 15_000 });
    assert((await page.locator('.error-box').innerText()).includes('only owners and administrators'), 'audit refused');
    equal(await page.locator('a[href="/users"]').count(), 0, 'no Users link for a non-administrator');

    // Log out: the session ends, and pages ask to log in again.
    await Promise.all([page.waitForURL(/\/login/), page.click('[data-test=logout]')]);
    await page.goto(`${t.base}/`);
    assert(page.url().includes('/login'), `logged out: ${page.url()}`);
    page.assertNoErrors([/status of 40[13]/]);
    await page.closeAll();
  },

  async 'an owner manages members, reads the audit log, and makes an API token'(t) {
    const page = await t.newPage();
    await page.goto(`${t.base}/namespaces/secret`);
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
    const form = page.locator('[data-test="set-member"]');
    await form.locator('input[name="user"]').fill('erin');
    await form.locator('select[name="role"]').selectOption('viewer');
    await form.locator('button[type="submit"]').click();
    await page.locator('[data-member="erin"]').waitFor({ timeout: 15_000 });
    assert((await page.locator('[data-member="erin"]').innerText()).includes('viewer'), 'erin is a viewer now');
    await form.locator('input[name="user"]').fill('nobody-here');
    await form.locator('button[type="submit"]').click();
    await page.locator('.error-box').waitFor({ timeout: 10_000 });
    assert((await page.locator('.error-box').innerText()).includes("user 'nobody-here' does not exist"), 'unknown user refused inline');
    await t.screenshot(page, 'namespace-members');

    await page.goto(`${t.base}/audit`);
    await page.locator('[data-test=audit]').waitFor({ timeout: 15_000 });
    const audit = await page.locator('[data-test=audit]').innerText();
    assert(audit.includes('set-member') && audit.includes('erin as viewer'), 'the member change is recorded');
    assert(/anonymous\s+login\s+erin[\s\S]*denied 401/.test(audit) || audit.includes('denied 401'), 'the refused login is recorded');
    await t.screenshot(page, 'audit');

    await page.goto(`${t.base}/account`);
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
    const tokenForm = page.locator('[data-test="create-token"]');
    await tokenForm.locator('input[name="name"]').fill('ci');
    await tokenForm.locator('input[name="namespace"]').fill('secret');
    await tokenForm.locator('select[name="role"]').selectOption('viewer');
    await tokenForm.locator('button[type="submit"]').click();
    await page.locator('[data-test=new-token] code').waitFor({ timeout: 15_000 });
    const token = await page.locator('[data-test=new-token] code').innerText();
    assert(token.startsWith('weir_'), `the token is shown once: ${token}`);
    const jobs = await fetch(`${t.base}/api/v1/namespaces/secret/jobs`, { headers: { authorization: `Bearer ${token}` } });
    equal(jobs.status, 200, 'the token reads its namespace');
    const other = await fetch(`${t.base}/api/v1/namespaces/default/jobs`, { headers: { authorization: `Bearer ${token}` } });
    equal(other.status, 403, 'and nothing else');
    await page.locator('[data-token="ci"]').waitFor({ timeout: 15_000 });
    await t.screenshot(page, 'account-tokens');
    await page.locator('[data-token="ci"] button').click();
    await page.locator('[data-token="ci"] .badge.bad').waitFor({ timeout: 15_000 });
    const after = await fetch(`${t.base}/api/v1/namespaces/secret/jobs`, { headers: { authorization: `Bearer ${token}` } });
    equal(after.status, 401, 'revoked from the next request on');
    page.assertNoErrors([/status of 40[134]/]);
    await page.closeAll();
  },

  async 'an administrator creates, resets and deletes a user'(t) {
    const page = await t.newPage();
    await page.goto(`${t.base}/users`);
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
    const form = page.locator('[data-test="create-user"]');
    await form.locator('input[name="name"]').fill('fred');
    await form.locator('input[name="password"]').fill('fred-password-1');
    await form.locator('button[type="submit"]').click();
    await page.locator('[data-user="fred"]').waitFor({ timeout: 15_000 });
    await page.locator('[data-user="fred"] [data-test="reset-password"] input[name="password"]').fill('fred-password-2');
    await page.locator('[data-user="fred"] [data-test="reset-password"] button').click();
    // The new password works (through the API login).
    await page.waitForTimeout(500);
    const login = await fetch(`${t.base}/api/v1/session`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'fred', password: 'fred-password-2' }),
    });
    equal(login.status, 200, 'the reset password logs in');
    await t.screenshot(page, 'users');
    await page.locator('[data-user="fred"] [data-test="delete-user"]').click();
    await page.locator('[data-user="fred"]').waitFor({ state: 'detached', timeout: 15_000 });
    page.assertNoErrors();
    await page.closeAll();
  },
};
