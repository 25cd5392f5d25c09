// Helpers for the images/builds/volumes/registry specs.
import { expect, type Page } from '@playwright/test';
import { trpcMutation } from './accounts';

/** Replaces the editor's text the way a user pasting would, and checks CodeMirror holds exactly it. */
export async function setDockerfile(page: Page, text: string): Promise<void> {
  const content = page.getByTestId('dockerfile-editor').locator('.cm-content');
  await content.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.evaluate(async (t) => {
    // A paste event, as from the clipboard: CodeMirror inserts the text as one change.
    const el = document.querySelector('[data-testid="dockerfile-editor"] .cm-content')!;
    const data = new DataTransfer();
    data.setData('text/plain', t);
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
  await expect.poll(() => editorText(page)).toBe(text);
}

export function editorText(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as { __berthDockerfile?: { state: { doc: { toString(): string } } } }).__berthDockerfile?.state.doc.toString() ?? '');
}

export function editorCursorLine(page: Page): Promise<number> {
  return page.evaluate(() => {
    const v = (window as unknown as { __berthDockerfile?: { state: { doc: { lineAt(p: number): { number: number } }; selection: { main: { head: number } } } } }).__berthDockerfile;
    return v ? v.state.doc.lineAt(v.state.selection.main.head).number : 0;
  });
}

/** Clicks Build and waits for the run to end; returns its final status text. */
export async function build(page: Page, timeout = 90_000): Promise<string> {
  await page.getByRole('button', { name: 'Build', exact: true }).click();
  const status = page.getByTestId('build-status');
  await expect(status).toHaveText(/^(done|failed|cancelled)$/, { timeout });
  return (await status.textContent()) ?? '';
}

/** Removes an image through the API (test clean-up); ignores "no such image". */
export async function removeImage(page: Page, baseURL: string, ref: string): Promise<void> {
  await trpcMutation(page.request, baseURL, 'images.remove', { ref, force: true });
}
