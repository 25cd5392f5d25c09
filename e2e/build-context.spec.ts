import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { shot, signInAdmin } from './support/berth';
import { build, removeImage, setDockerfile } from './support/dashboard2';

const TAG = `e2e-ctx-${Date.now().toString(36)}:1`;
const secret = `nested-${Date.now()}`;

test.describe.serial('build context', () => {
  let dir = '';
  test.beforeAll(() => {
    // A folder as a user would pick it: files two levels down and one at the top.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-ctx-'));
    fs.mkdirSync(path.join(dir, 'app', 'conf', 'deep'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'app', 'conf', 'deep', 'value.txt'), `${secret}\n`);
    fs.writeFileSync(path.join(dir, 'app', 'README'), 'top level\n');
  });
  test.afterAll(async ({ browser, baseURL }) => {
    fs.rmSync(dir, { recursive: true, force: true });
    const page = await browser.newPage();
    await signInAdmin(page);
    await removeImage(page, baseURL!, TAG);
    await page.close();
  });

  test('a folder uploaded as the context keeps its paths: COPY of a nested file works', async ({ page }, info) => {
    test.setTimeout(180_000);
    await signInAdmin(page);
    await page.goto('/builds');
    await page.getByTestId('context-folder').setInputFiles(path.join(dir, 'app'));
    await expect(page.getByTestId('context-choice')).toHaveText('Context: Folder: 2 file(s)');
    await setDockerfile(page, ['FROM busybox:latest', 'COPY conf/deep/value.txt /etc/value.txt', 'RUN cat /etc/value.txt && test -f /etc/value.txt', 'COPY README /README', ''].join('\n'));
    await page.getByLabel('Tag', { exact: true }).fill(TAG);
    expect(await build(page)).toBe('done');
    await expect(page.getByTestId('build-step').nth(2)).toContainText(secret);
    await shot(page, info, 'build-context');

    // A path the folder does not have fails, naming it: the context really is the folder.
    await setDockerfile(page, ['FROM busybox:latest', 'COPY conf/missing.txt /x', ''].join('\n'));
    expect(await build(page)).toBe('failed');
    await expect(page.getByTestId('build-error')).toContainText('missing.txt');
    await expect(page.getByTestId('error-line-link')).toHaveText('Dockerfile line 2');
  });
});
