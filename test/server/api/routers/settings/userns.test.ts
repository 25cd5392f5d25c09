// Settings → User namespaces: stored in the Setting table; unset means "follow BERTH_USERNS".
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createTestServices } from '../../../../support/services.ts';
import { readUserns, usernsSetting, writeUserns } from '../../../../../server/settings/store.ts';

const s = createTestServices();
after(() => s.cleanup());

test('unset, then saved; only host, remap and auto are accepted', async () => {
  assert.equal(await readUserns(s.db), null);
  await writeUserns(s.db, { mode: 'auto' });
  assert.deepEqual(await readUserns(s.db), { mode: 'auto' });
  assert.equal(usernsSetting.safeParse({ mode: 'private' }).success, false);
});
