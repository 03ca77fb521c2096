// examples/web in headless Chromium (Debian's chromium, driven by playwright-core): the page loads the wasm module
// and a checkpoint trained by the Python package, a test image is picked, and the prediction shown must be the
// native library's; a drawing gets a prediction too. A screenshot goes to bindings/js/test-output/web.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repo, prepareModel } from './helpers.mjs';
import { startServer } from '../../../examples/web/serve.mjs';

const outDir = path.join(repo, 'bindings/js/test-output');
const modelDir = path.join(outDir, 'web-model');
const chromiumPath = process.env.CHROMIUM || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
let server;
let browser;
let page;
let meta;
const consoleErrors = [];

before(async () => {
  assert.ok(chromiumPath, 'Chromium is missing (Debian: apt-get install chromium, or set CHROMIUM)');
  fs.mkdirSync(outDir, { recursive: true });
  prepareModel(modelDir, ['--epochs', '1', '--train-size', '12000', '--num-test', '24']);
  meta = JSON.parse(fs.readFileSync(path.join(modelDir, 'test.json'), 'utf8'));
  server = await startServer(repo);
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  const url = `http://127.0.0.1:${server.address().port}/examples/web/index.html?model=/bindings/js/test-output/web-model/`;
  await page.goto(url);
  await page.waitForSelector('#status[data-ready="1"], #status[data-ready="error"]', { timeout: 60000 });
  const status = await page.textContent('#status');
  assert.equal(await page.getAttribute('#status', 'data-ready'), '1', status);
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.close();
});

const argmax = (a) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);

test('the page shows the native library\'s prediction for a picked test image', async () => {
  assert.equal(await page.locator('#thumbs button').count(), 24);
  for (const k of [3, 0, 17]) {
    await page.click(`#thumbs button[data-index="${k}"]`);
    const shown = Number(await page.getAttribute('#prediction', 'data-class'));
    const expected = argmax(meta.native_outputs[k]);
    assert.equal(shown, expected, `image ${k}`);
    assert.equal(await page.textContent('#prediction'), meta.classes[expected]);
    const probs = await page.$$eval('#probs li', (lis) => lis.map((li) => Number(li.dataset.prob)));
    assert.equal(probs.length, 10);
    for (let c = 0; c < 10; c++) assert.ok(Math.abs(probs[c] - meta.native_outputs[k][c]) <= 1e-5, `image ${k} class ${c}`);
    const text = await page.textContent(`#probs li:nth-child(${expected + 1}) .value`);
    assert.equal(text, `${(100 * meta.native_outputs[k][expected]).toFixed(2)}%`);
    assert.match(await page.textContent('#source'), new RegExp(`test image ${k}, labelled ${meta.classes[meta.labels[k]].replace('/', '\\/')}`));
  }
  await page.screenshot({ path: path.join(outDir, 'web.png'), fullPage: true });
  assert.ok(fs.statSync(path.join(outDir, 'web.png')).size > 10000);
});

test('drawing on the canvas gets a prediction', async () => {
  await page.click('#clear');
  assert.equal(await page.getAttribute('#prediction', 'data-class'), '');
  const box = await page.locator('#canvas').boundingBox();
  // a trouser-like shape: two vertical strokes
  for (const x of [0.38, 0.62]) {
    await page.mouse.move(box.x + box.width * x, box.y + box.height * 0.15);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width * x, box.y + box.height * (0.15 + 0.07 * i));
    await page.mouse.up();
  }
  const cls = await page.getAttribute('#prediction', 'data-class');
  assert.equal(await page.textContent('#prediction'), 'Trouser');
  const probs = await page.$$eval('#probs li', (lis) => lis.map((li) => Number(li.dataset.prob)));
  assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-4);
  assert.equal(argmax(probs), Number(cls));
  assert.equal(await page.textContent('#source'), 'your drawing');
  await page.screenshot({ path: path.join(outDir, 'web-drawing.png'), fullPage: true });
  assert.deepEqual(consoleErrors, []);
});
