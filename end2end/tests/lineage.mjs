// Lineage: two jobs chained through one filesystem path (named differently in each script) and a third that
// joins two sources. The job page's Lineage tab shows sources -> job -> sinks, and choosing a sink column
// highlights its sources and says how it is computed; the Lineage page draws the graph across jobs (laid out
// left to right) with a list beside it, and the same without JavaScript.
import { assert, equal } from '../lib/assert.mjs';

const PATH = `/tmp/weir-e2e-lineage-${process.pid}/events`;
const WRITER = `CREATE TABLE clicks (user_id BIGINT, url STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '1');
CREATE TABLE events_out (user_id BIGINT, url STRING) WITH ('connector' = 'filesystem', 'path' = '${PATH}', 'format' = 'csv');
INSERT INTO events_out SELECT user_id, url FROM clicks;`;
const READER = `CREATE TABLE events_in (user_id BIGINT, url STRING) WITH ('connector' = 'filesystem', 'path' = '${PATH}', 'format' = 'csv');
CREATE TABLE users (id BIGINT, name STRING) WITH ('connector' = 'datagen');
CREATE TABLE visits (name STRING, url STRING, shout STRING) WITH ('connector' = 'blackhole');
INSERT INTO visits SELECT u.name, e.url, UPPER(e.url) FROM events_in e JOIN users u ON e.user_id = u.id WHERE e.url <> '';`;

export const tests = {
  async 'the Lineage tab and the Lineage page follow columns across jobs'(t) {
    for (const [job, sql] of [['lineage-writer', WRITER], ['lineage-reader', READER]]) {
      equal((await t.api('POST', '/namespaces/default/jobs', { name: job, kind: 'sql' })).status, 201, `${job} created`);
      equal((await t.api('POST', `/namespaces/default/jobs/${job}/versions`, { sql, message: 'v1' })).status, 201, `${job} saved`);
    }

    // The job page: sources -> job -> sinks, and a column's sources.
    const page = await t.newPage();
    await page.goto(`${t.base}/jobs/default/lineage-reader?tab=lineage`);
    const flow = page.locator('[data-test="lineage-flow"]');
    await flow.waitFor({ timeout: 30_000 });
    const text = await flow.innerText();
    for (const word of ['events_in', 'users', 'visits', PATH]) assert(text.includes(word), `the flow names ${word}`);
    await page.locator('[data-test="lineage-column"]', { hasText: 'shout' }).click();
    const selected = page.locator('[data-test="lineage-selected"]');
    await selected.waitFor({ timeout: 30_000 });
    const how = await selected.innerText();
    assert(how.includes('UPPER(url)') && how.includes('TRANSFORMATION'), `the transformation is shown: ${how}`);
    assert((await page.locator('.lit').count()) >= 1, 'its sources are highlighted');
    assert((await page.locator('[data-test="lineage-dataset-wide"]').innerText()).includes('JOIN'), 'the join keys affect every row');
    await t.screenshot(page, 'lineage-tab');

    // The Lineage page around the shared path: writer -> path -> reader, left to right.
    await page.goto(`${t.base}/lineage`);
    await page.fill('[data-test="lineage-dataset"]', `file|${PATH}`);
    await page.locator('[data-test="lineage-show"]').click();
    const svg = page.locator('[data-test="lineage-svg"]');
    await svg.waitFor({ timeout: 30_000 });
    const box = async (id) => page.locator(`[data-node="${id}"] rect`).first().boundingBox();
    const [writer, shared, reader] = [await box('job:default/lineage-writer'), await box(`dataset:file|${PATH}`), await box('job:default/lineage-reader')];
    assert(writer && shared && reader, 'the two jobs and the shared dataset are drawn');
    assert(writer.x < shared.x && shared.x < reader.x, 'upstream on the left, downstream on the right');
    const list = await page.locator('[data-test="lineage-list"]').innerText();
    assert(list.includes('lineage-writer') && list.includes('lineage-reader'), 'the list names both jobs');
    await t.screenshot(page, 'lineage-page');
    // A job node leads to its Lineage tab.
    await page.locator('[data-node="job:default/lineage-writer"] a').first().click();
    await page.waitForURL('**/jobs/default/lineage-writer?tab=lineage**');
    page.assertNoErrors();
    await page.closeAll();

    // Without JavaScript: the same picture and list, server-rendered.
    const plain = await t.newPage({ javaScriptEnabled: false });
    await plain.goto(`${t.base}/lineage?job=${encodeURIComponent('default/lineage-reader')}&direction=upstream`);
    assert((await plain.locator('[data-test="lineage-svg"] [data-node]').count()) >= 3, 'nodes drawn without JavaScript');
    assert((await plain.locator('[data-test="lineage-list"]').innerText()).includes('lineage-writer'), 'upstream of the reader is the writer');
    await plain.closeAll();
  },
};
