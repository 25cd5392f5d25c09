import type { WsRoute } from './upgrade.ts';

/** Channel bytes of the terminal protocol (design.md): 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize. */
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 } as const;

export function errorFrame(message: string): Buffer {
  return Buffer.concat([Buffer.from([CHANNEL.error]), Buffer.from(message, 'utf8')]);
}

/** /ws/exec before an engine exists: authenticated and authorised like the real one, then an honest error. */
export const execUnavailableRoute: WsRoute = {
  role: 'operator',
  onConnection(ws) {
    ws.send(errorFrame('Terminals need the container engine, which is not available on this build yet.'));
    ws.close(1011, 'engine unavailable');
  },
};
