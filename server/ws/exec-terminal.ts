// /ws/exec?container=<id>&cmd=<shell|auto>&user=<user>&cols=N&rows=N[&privileged=1] — a terminal in a
// running container (privileged: `docker exec --privileged`, admins only). Binary frames, first byte = channel: 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize
// (JSON {cols,rows}). The upgrade handler has already checked Origin, session and role.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { hasRole } from '../auth/roles.ts';
import type { ActiveSession } from '../auth/sessions.ts';
import { endpointIdOf } from '../engine/endpoint-choice.ts';
import { MuxDecoder } from '../engine/streams.ts';
import { CHANNEL, errorFrame } from './exec-placeholder.ts';
import type { WsRoute } from './upgrade.ts';

const queryInput = z.object({
  container: z.string().min(1).max(128),
  cmd: z
    .string()
    .max(256)
    .regex(/^(auto|\/[A-Za-z0-9_./-]+)$/, 'cmd is "auto" or an absolute path to a shell')
    .default('auto'),
  user: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9_.:-]*$/, 'user is a name or uid[:gid]')
    .default(''),
  privileged: z.enum(['0', '1']).default('0'),
  cols: z.coerce.number().int().min(2).max(1000).default(80),
  rows: z.coerce.number().int().min(2).max(500).default(24),
});

const resizeInput = z.object({ cols: z.number().int().min(2).max(1000), rows: z.number().int().min(2).max(500) });

/** "auto" asks the container's own sh to pick bash when it exists, so one exec does it. */
export function shellCommand(cmd: string): string[] {
  if (cmd !== 'auto') return [cmd];
  return ['/bin/sh', '-c', 'if [ -x /bin/bash ]; then exec /bin/bash; else exec /bin/sh; fi'];
}

function frame(channel: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([channel]), data]);
}

function messageOf(err: unknown): string {
  const e = err as { json?: { message?: string } | null; message?: string };
  return e?.json?.message ?? e?.message ?? String(err);
}

export function execTerminalRoute(services: Services): WsRoute {
  return {
    role: 'operator',
    onConnection(ws: WebSocket, req: IncomingMessage, session: ActiveSession) {
      void run(services, ws, req, session.user.role).catch((err) => {
        if (ws.readyState === ws.OPEN) {
          ws.send(errorFrame(messageOf(err)));
          ws.close(1011, 'exec failed');
        }
      });
    },
  };
}

async function run(services: Services, ws: WebSocket, req: IncomingMessage, role: string): Promise<void> {
  const params = Object.fromEntries(new URL(req.url ?? '/', 'http://berth.invalid').searchParams);
  const parsed = queryInput.safeParse(params);
  if (!parsed.success) {
    ws.send(errorFrame(parsed.error.issues.map((i) => i.message).join('; ')));
    ws.close(1008, 'bad request');
    return;
  }
  const q = parsed.data;
  // Every capability and no seccomp filter: the same rule as creating a privileged container.
  if (q.privileged === '1' && !hasRole(role, 'admin')) {
    ws.send(errorFrame(`A privileged terminal needs the admin role; you are ${role}.`));
    ws.close(1008, 'forbidden');
    return;
  }
  // Input typed before the exec is ready is kept, not lost.
  const early: Buffer[] = [];
  let stream: Duplex | null = null;
  let resizeTo: ((cols: number, rows: number) => void) | null = null;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const buf = isBinary ? data : Buffer.from(data.toString(), 'utf8');
    if (buf.length === 0) return;
    const ch = buf[0];
    if (ch === CHANNEL.stdin) {
      if (stream) stream.write(buf.subarray(1));
      else early.push(buf.subarray(1));
    } else if (ch === CHANNEL.resize) {
      try {
        const size = resizeInput.parse(JSON.parse(buf.subarray(1).toString('utf8')));
        resizeTo?.(size.cols, size.rows);
      } catch {
        /* a malformed resize is ignored; the terminal keeps its size */
      }
    }
  });

  const resolved = await services.engines.resolve(endpointIdOf(req));
  if (!resolved.ok) throw new Error(resolved.message);
  const container = resolved.engine.getContainer(q.container);
  const info = await container.inspect();
  const name = info.Name.replace(/^\//, '');
  if (!info.State.Running) {
    ws.send(errorFrame(`Container ${name} is not running (${info.State.Status}). Start it to open a terminal.`));
    ws.close(1000, 'not running');
    return;
  }
  if (info.State.Paused) {
    ws.send(errorFrame(`Container ${name} is paused. Unpause it to open a terminal.`));
    ws.close(1000, 'paused');
    return;
  }
  const exec = await container.exec({
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    Cmd: shellCommand(q.cmd),
    User: q.user || undefined,
    Env: ['TERM=xterm-256color'],
    ConsoleSize: [q.rows, q.cols],
    ...(q.privileged === '1' ? { Privileged: true } : {}),
  });
  if (ws.readyState !== ws.OPEN) return;
  const s = await exec.start({ hijack: true, stdin: true, Tty: true, ConsoleSize: [q.rows, q.cols] });
  stream = s;
  let lastSize = `${q.cols}x${q.rows}`;
  resizeTo = (cols, rows) => {
    const key = `${cols}x${rows}`;
    if (key === lastSize) return;
    lastSize = key;
    void exec.resize({ h: rows, w: cols }).catch(() => undefined);
  };
  // The pty is created at start; set its size again in case the engine ignored ConsoleSize.
  void exec.resize({ h: q.rows, w: q.cols }).catch(() => undefined);
  for (const b of early.splice(0)) s.write(b);

  // A TTY exec is raw bytes; some engines still frame it, which the first byte tells apart.
  let mux: MuxDecoder | null = null;
  let decided = false;
  s.on('data', (chunk: Buffer) => {
    if (!decided) {
      decided = true;
      if (chunk.length >= 8 && chunk[0]! <= 2 && chunk[1] === 0 && chunk[2] === 0 && chunk[3] === 0) mux = new MuxDecoder();
    }
    if (ws.readyState !== ws.OPEN) return;
    if (mux) mux.push(chunk, (st, payload) => ws.send(frame(st === 2 ? CHANNEL.stderr : CHANNEL.stdout, payload)));
    else ws.send(frame(CHANNEL.stdout, chunk));
  });
  const finish = async () => {
    if (ws.readyState !== ws.OPEN) return;
    let code: number | null = null;
    try {
      code = (await exec.inspect()).ExitCode;
    } catch {
      /* gone with the container */
    }
    ws.close(1000, code === null ? 'exited' : `exited ${code}`);
  };
  s.once('end', () => void finish());
  s.once('close', () => void finish());
  s.once('error', (err) => {
    if (ws.readyState === ws.OPEN) ws.send(errorFrame(messageOf(err)));
    void finish();
  });
  ws.once('close', () => {
    // Closing the hijacked stream ends the exec's stdin; the shell sees EOF and exits.
    s.end();
    setTimeout(() => s.destroy(), 2000).unref();
  });
}
