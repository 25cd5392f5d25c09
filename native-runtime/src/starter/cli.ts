// Script entry: `tsx native-runtime/src/starter/cli.ts busybox|debian [--root DIR]`.
import { openImageStores } from '../images/open.js';
import { buildBusyboxImage } from './busybox.js';
import { buildDebianImage } from './debian.js';

async function main(argv: string[]): Promise<void> {
  const which = argv[0];
  const rootIdx = argv.indexOf('--root');
  const root = rootIdx >= 0 ? argv[rootIdx + 1]! : process.env['BERTH_ROOT'] ?? '/var/lib/berth';
  if (which !== 'busybox' && which !== 'debian') {
    console.error('usage: cli.ts busybox|debian [--root DIR]');
    process.exit(2);
  }
  const stores = await openImageStores(root, { recover: true });
  const res =
    which === 'busybox'
      ? await buildBusyboxImage(stores)
      : await buildDebianImage(stores, { onLog: (l) => console.error(l) });
  console.log(`${res.tag} ${res.id}`);
}

main(process.argv.slice(2)).catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
