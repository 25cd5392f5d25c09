// Container attach and resize through the shim's attach socket ($BERTH_RUN/<12-char id>/attach.sock).
// The shim serves it, so a Berth started after the one that started the container attaches by path.
import { Duplex, PassThrough } from 'node:stream';
import type { AttachOptions } from '../engine/engine.js';
import { badParameter, conflict, internal } from '../errors.js';
import { attachmentStream, resizeOnce } from '../native/attach-stream.js';
import { attachShim } from '../native/index.js';
import type { PendingAttaches } from './pending-attach.js';
import type { ContainerRecord } from './record.js';

export interface AttachInputs {
  rec: ContainerRecord;
  socket: string;
  /** Past output, already framed for this container (attach with logs: true). */
  logs?: () => Promise<Buffer>;
  /** Where an attachment to a container that is not running waits for its next start. */
  pending: PendingAttaches;
}

/** A Duplex that only replays bytes and ignores input (attach with stream: false). */
function replayOnly(data: Buffer): Duplex {
  const p = new PassThrough();
  p.end(data);
  return Duplex.from({ readable: p, writable: new PassThrough() });
}

export async function attachContainer(inp: AttachInputs, o: AttachOptions): Promise<Duplex> {
  const { rec } = inp;
  const prefix = o.logs && inp.logs ? await inp.logs() : undefined;
  if (o.stream === false) return replayOnly(prefix ?? Buffer.alloc(0));
  if (rec.state.status === 'paused') throw conflict(`You cannot attach to a paused container, unpause it first`);
  if (rec.state.status === 'restarting') throw conflict(`Container ${rec.cfg.id} is restarting, wait until the container is running`);
  const wants = { stdin: !!o.stdin && rec.cfg.config.OpenStdin, stdout: !!o.stdout, stderr: !!o.stderr };
  if (rec.state.status !== 'running') {
    // As dockerd: the stream carries the next run, from its first byte.
    const p = inp.pending.add(rec.cfg.id, wants);
    const d = attachmentStream(p.attachment, { tty: rec.cfg.config.Tty, ...(prefix ? { prefix } : {}) });
    p.withdrawOn(d);
    return d;
  }
  let a;
  try {
    a = await attachShim(inp.socket, wants);
  } catch (e) {
    throw internal(`cannot attach to container ${rec.cfg.id.slice(0, 12)}: ${(e as Error).message}`, e);
  }
  return attachmentStream(a, { tty: rec.cfg.config.Tty, ...(prefix ? { prefix } : {}) });
}

export async function resizeContainer(rec: ContainerRecord, socket: string, h: number, w: number): Promise<void> {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 0 || w < 0) throw badParameter('resize: h and w must be non-negative integers');
  if (rec.state.status !== 'running' && rec.state.status !== 'paused') throw conflict(`Container ${rec.cfg.id} is not running`);
  const a = await attachShim(socket, { stdin: false, stdout: false, stderr: false });
  await resizeOnce(socket, h, w);
}
