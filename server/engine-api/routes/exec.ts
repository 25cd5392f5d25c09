// Exec: create, start (hijacked, or the output as the response body, or detached), resize, inspect.
import { z } from 'zod';
import type { ExecCreateOptions } from '@berth/runtime/engine';
import { route, type Ctx, type Route } from '../context.ts';
import { ApiError, toWireError } from '../errors.ts';
import { bridge, openRawStream, readHijackBody } from '../hijack.ts';
import { parseWith, readJsonBody, sendEmpty, sendJson } from '../http.ts';
import { MUX_STREAM, RAW_STREAM, muxFrame } from '../streams.ts';

const StartSchema = z
  .looseObject({
    Detach: z.boolean().optional(),
    Tty: z.boolean().optional(),
    ConsoleSize: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]).nullable().optional(),
  })
  .nullable()
  .optional();

async function create(ctx: Ctx): Promise<void> {
  const body = (await readJsonBody(ctx.req)) ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'exec config must be a JSON object');
  const x = await ctx.engine.getContainer(ctx.params['id']!).exec(body as ExecCreateOptions);
  ctx.audit.target = `${ctx.params['id']} exec ${x.id}`;
  sendJson(ctx.res, 201, { Id: x.id });
}

/** How long start waits, after the output ended, for inspect to show the exit code the CLI asks for next. */
const EXIT_SETTLE_MS = 3000;

async function start(ctx: Ctx): Promise<void> {
  const opts = parseWith(StartSchema, await readHijackBody(ctx)) ?? {};
  const x = ctx.engine.getExec(ctx.params['id']!);
  const info = await x.inspect(); // 404 before the upgrade
  const tty = opts.Tty ?? info.ProcessConfig?.tty ?? false;
  let stream;
  try {
    stream = await x.start({ Detach: !!opts.Detach, Tty: !!opts.Tty, ...(opts.ConsoleSize ? { ConsoleSize: opts.ConsoleSize } : {}) });
  } catch (err) {
    if (opts.Detach) throw err;
    // As dockerd (postContainerExecStart): an attached start upgrades first and reports the failure in the
    // output, then the CLI reads the exit code from inspect. A plain error status here makes the CLI print
    // "unable to upgrade to tcp" and exit 1.
    const conn = openRawStream(ctx, tty ? RAW_STREAM : MUX_STREAM);
    const text = Buffer.from(`${toWireError(err).message}\r\n`);
    conn.output.write(tty ? text : muxFrame(1, text));
    conn.finish();
    ctx.audit.failure = err;
    return;
  }
  if (opts.Detach) {
    stream.resume();
    sendEmpty(ctx.res, 200);
    return;
  }
  const conn = openRawStream(ctx, tty ? RAW_STREAM : MUX_STREAM);
  await bridge(conn, stream, {
    stdin: ctx.upgrade !== null && info.OpenStdin,
    beforeFinish: async () => {
      const end = Date.now() + EXIT_SETTLE_MS;
      while (Date.now() < end && (await x.inspect()).Running) await new Promise((r) => setTimeout(r, 10));
    },
  });
}

async function resize(ctx: Ctx): Promise<void> {
  await ctx.engine.getExec(ctx.params['id']!).resize({ h: ctx.query.int('h') ?? 0, w: ctx.query.int('w') ?? 0 });
  sendEmpty(ctx.res, 200);
}

async function inspect(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.getExec(ctx.params['id']!).inspect());
}

export const execRoutes: Route[] = [
  route('POST', '/containers/{id}/exec', create, { action: 'containers.exec.create' }),
  route('POST', '/exec/{id}/start', start, { action: 'containers.exec.start', hijack: true }),
  route('POST', '/exec/{id}/resize', resize),
  route('GET', '/exec/{id}/json', inspect),
];
