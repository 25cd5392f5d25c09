// Test images for the layer inspector specs, made the way a user would: run a container that changes
// files, then "Commit as image" (analysis.commit). Nothing is imported or faked.
import { expect, type APIRequestContext } from '@playwright/test';
import { trpcMutation } from './accounts';
import { createContainer, removeContainer } from './berth';

export async function trpcQuery<T>(request: APIRequestContext, path: string, json: unknown): Promise<T> {
  const res = await request.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json }))}`);
  const body = await res.json();
  expect(res.status(), JSON.stringify(body)).toBe(200);
  return body.result.data.json as T;
}

/** Runs `command` in `image` until it exits, commits the container as `reference`, removes it. */
export async function commitImage(request: APIRequestContext, baseURL: string, image: string, command: string, reference: string, timeout = 20_000): Promise<string> {
  const id = await createContainer(request, baseURL, { name: `layers-src-${Date.now().toString(36)}`, image, command });
  try {
    await expect
      .poll(async () => (await trpcQuery<{ State: { Running: boolean } }>(request, 'containers.inspect', { id })).State.Running, { timeout })
      .toBe(false);
    const res = await trpcMutation(request, baseURL, 'analysis.commit', { id, reference });
    const body = await res.json();
    expect(res.status(), JSON.stringify(body)).toBe(200);
    return body.result.data.json.Id as string;
  } finally {
    await removeContainer(request, baseURL, id);
  }
}

/**
 * Two images on busybox: A modifies /etc/passwd and adds /big (200 KiB) and /app/config.txt ("v1");
 * B is A plus a layer rewriting /app/config.txt ("v2"), so they differ by exactly one file.
 */
export async function makeLayerImages(request: APIRequestContext, baseURL: string): Promise<{ a: string; b: string }> {
  const tag = Date.now().toString(36);
  const a = `layers-e2e-a:${tag}`;
  const b = `layers-e2e-b:${tag}`;
  await commitImage(request, baseURL, 'busybox:latest', `sh -c 'echo "extra:x:1234:1234::/:/bin/sh" >> /etc/passwd; dd if=/dev/zero of=/big bs=1024 count=200 2>/dev/null; mkdir -p /app; echo v1 > /app/config.txt'`, a);
  await commitImage(request, baseURL, a, `sh -c 'echo v2 > /app/config.txt'`, b);
  return { a, b };
}
