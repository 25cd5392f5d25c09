// Secrets and configs given by value (`environment:` from the stack's .env, or a config's `content:`)
// become files in the stack's folder, bind-mounted read-only like file-based ones. Written before the
// containers are created, atomically, so a running replica never sees half a file.
import fs from 'node:fs';
import path from 'node:path';
import type { ServiceConfig } from './model.ts';

export function writeFileMounts(services: ServiceConfig[]): void {
  for (const s of services) {
    for (const f of [...s.secrets, ...s.configs]) {
      if (f.content === undefined) continue;
      fs.mkdirSync(path.dirname(f.file), { recursive: true, mode: 0o700 });
      const tmp = `${f.file}.${process.pid}.tmp`;
      // Compose's default mode for these files is 0444 (any user of the container reads them).
      fs.writeFileSync(tmp, f.content, { mode: f.mode ?? 0o444 });
      fs.chmodSync(tmp, f.mode ?? 0o444);
      fs.renameSync(tmp, f.file);
    }
  }
}
