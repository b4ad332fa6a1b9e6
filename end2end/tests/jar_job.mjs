// A JAR job in the browser: upload a JAR (built here from server/tests/fixtures/TinyJob.java), see a non-JAR
// refused inline, deploy the version and stop it with a savepoint.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, equal } from '../lib/assert.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function buildJar() {
  const dir = mkdtempSync(path.join(tmpdir(), 'weir-jar-'));
  const home = execFileSync(path.join(root, 'scripts/flink-local'), ['home']).toString().trim();
  copyFileSync(path.join(root, 'server/tests/fixtures/TinyJob.java'), path.join(dir, 'TinyJob.java'));
  mkdirSync(path.join(dir, 'classes'));
  execFileSync('javac', ['--release', '11', '-d', path.join(dir, 'classes'), '-cp', `${home}/lib/*`, path.join(dir, 'TinyJob.java')]);
  execFileSync('jar', ['cf', path.join(dir, 'tiny-job.jar'), '-C', path.join(dir, 'classes'), '.']);
  writeFileSync(path.join(dir, 'notes.jar'), 'not a jar');
  return dir;
}

export const tests = {
  async 'a JAR job is uploaded, deployed and stopped from the UI'(t) {
    const dir = buildJar();
    const page = await t.newPage();
    await page.goto(`${t.base}/jobs`);
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
    await page.fill('[data-test="job-name"]', 'tiny-jar');
    await page.selectOption('[data-test="job-kind"]', 'jar');
    await page.click('[data-test="create-job"] button[type="submit"]');
    await page.waitForURL('**/jobs/default/tiny-jar');

    await page.click('[data-test="tab-program"]');
    await page.setInputFiles('[data-test="jar-file"]', path.join(dir, 'notes.jar'));
    await page.click('[data-test="jar-save"]');
    await page.locator('.error-box').waitFor({ timeout: 15_000 });
    assert((await page.locator('.error-box').innerText()).includes('not a JAR'), 'a non-JAR is refused inline');

    await page.setInputFiles('[data-test="jar-file"]', path.join(dir, 'tiny-job.jar'));
    await page.fill('[data-test="entry-class"]', 'TinyJob');
    await page.fill('textarea[name="args"]', '20');
    await page.click('[data-test="jar-save"]');
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
    await page.click('[data-test="tab-versions"]');
    await page.locator('[data-version="1"]').waitFor({ timeout: 15_000 });
    await t.screenshot(page, 'jar-job-versions');

    const dialog = page.locator('[data-env="dev"] details:has([data-test="deploy-submit"])');
    await dialog.locator('[data-test="deploy-open"]').click();
    await dialog.locator('[data-test="deploy-submit"]').click();
    await page.waitForFunction(() => document.querySelector('[data-env="dev"] [data-test="state"]')?.textContent === 'RUNNING', null, { timeout: 90_000 });
    await page.click('[data-env="dev"] [data-test="stop-savepoint"]');
    await page.waitForFunction(() => {
      const op = document.querySelector('[data-test="operation"]');
      return op?.dataset.kind === 'stop' && op?.dataset.status === 'succeeded';
    }, null, { timeout: 120_000 });
    assert((await page.locator('[data-step="stop-with-savepoint"]').innerText()).includes('savepoint-'), 'savepoint path shown');
    await t.screenshot(page, 'jar-job-stopped');
    page.assertNoErrors([/status of 400/]);
    await page.closeAll();
  },
};
