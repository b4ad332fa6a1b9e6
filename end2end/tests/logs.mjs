// A deployment on a local-application cluster (its own JobManager and TaskManager, started by Weir): the job
// page's Logs tab shows the end of each of its log files; a session cluster's deployment says its logs are the
// cluster's.
import { assert, equal } from '../lib/assert.mjs';

const JOB = 'with-logs';
const SQL = `CREATE TABLE src (k INT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');
CREATE TABLE snk (k INT, v BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT k, v FROM src;`;

async function until(what, probe, timeout = 120_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export const tests = {
  async 'the Logs tab shows a per-job cluster\'s log files'(t) {
    equal((await t.api('POST', '/clusters', { name: 'apps', kind: 'local-application', settings: { flink_version: '2.3.0' } })).status, 201, 'cluster registered');
    equal((await t.api('POST', '/environments', { name: 'apps', cluster: 'apps' })).status, 201, 'environment created');
    equal((await t.api('POST', '/namespaces/default/jobs', { name: JOB, kind: 'sql' })).status, 201, 'job created');
    equal((await t.api('POST', `/namespaces/default/jobs/${JOB}/versions`, { sql: SQL, message: 'v1' })).status, 201, 'version saved');
    equal((await t.api('POST', `/namespaces/default/jobs/${JOB}/deployments/apps/deploy`, {})).status, 202, 'deploy accepted');
    equal((await t.api('POST', `/namespaces/default/jobs/${JOB}/deployments/dev/deploy`, {})).status, 202, 'deploy to the session cluster accepted');
    const deployment = async (env) => (await t.api('GET', `/namespaces/default/jobs/${JOB}/deployments/${env}`)).json;
    await until('RUNNING on its own cluster', async () => (await deployment('apps'))?.observed_state === 'RUNNING');
    await until('RUNNING on the session cluster', async () => (await deployment('dev'))?.observed_state === 'RUNNING');

    const page = await t.newPage();
    await page.goto(`${t.base}/jobs/default/${JOB}?tab=logs`);
    const apps = page.locator('[data-test="logs"][data-env="apps"]');
    await apps.locator('[data-log="jobmanager.log"]').waitFor({ timeout: 30_000 });
    const jm = await apps.locator('[data-log="jobmanager.log"] pre.log').innerText();
    const jobId = (await deployment('apps')).flink_job_id;
    assert(jm.includes(' INFO ') && jm.includes(jobId), `the JobManager's own log, about job ${jobId}`);
    assert((await apps.locator('[data-log^="taskmanager-0"]').count()) >= 1, 'the TaskManager\'s log is listed');
    await page.locator('[data-test="logs"][data-env="dev"] [data-test="logs-session"]').waitFor({ timeout: 30_000 });
    await t.screenshot(page, 'logs-tab');
    page.assertNoErrors();
    await page.closeAll();

    for (const env of ['apps', 'dev']) {
      equal((await t.api('POST', `/namespaces/default/jobs/${JOB}/deployments/${env}/stop`, { savepoint: false })).status, 202, `stop ${env}`);
    }
    await until('stopped', async () => (await deployment('apps'))?.observed_state === 'CANCELED', 60_000);
  },
};
