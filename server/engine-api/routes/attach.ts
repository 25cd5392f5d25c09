// POST /containers/{id}/attach (hijacked). The engine attaches a running container at once; one that is
// not running yet (the docker CLI attaches *before* it starts: docker run, docker start -a) gets a
// stream that carries its next run from the first byte, as dockerd's does: the engine starts that run's
// process only once the attachment is connected (pending-attach.ts in the runtime), so nothing is missed
// and stdin typed early is kept. Waits answer after the attach sessions have drained (attachments.ts).
import { trackAttach } from '../attachments.ts';
import { route, type Ctx, type Route } from '../context.ts';
import { bridge, openRawStream, takeHijackBody } from '../hijack.ts';
import { MUX_STREAM, RAW_STREAM } from '../streams.ts';

async function attach(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const want = {
    stdin: q.bool('stdin') ?? false,
    stdout: q.bool('stdout') ?? false,
    stderr: q.bool('stderr') ?? false,
    logs: q.bool('logs') ?? false,
    stream: q.bool('stream') ?? false,
  };
  // dockerode sends its options as a JSON body; dockerd never reads it, so it must not reach stdin.
  await takeHijackBody(ctx);
  const c = ctx.engine.getContainer(ctx.params['id']!);
  const info = await c.inspect(); // 404 before the upgrade
  ctx.audit.target = info.Id;
  const type = info.Config.Tty ? RAW_STREAM : MUX_STREAM;
  const d = await c.attach(want); // 409s (paused, restarting) before the upgrade
  const conn = openRawStream(ctx, type);
  const done = bridge(conn, d, { stdin: want.stdin && ctx.upgrade !== null });
  if (want.stream) trackAttach(ctx.engine, info.Id, done);
  await done;
}

export const attachRoutes: Route[] = [route('POST', '/containers/{id}/attach', attach, { action: 'containers.attach', hijack: true })];
