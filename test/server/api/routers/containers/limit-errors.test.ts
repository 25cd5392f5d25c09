// The engine's refusals of a limit land on the field they are about, in the engine's words.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineError } from '@berth/runtime/errors';
import { FieldError } from '../../../../../server/api/field-error.ts';
import { limitsError } from '../../../../../server/api/routers/containers/limit-errors.ts';

const fieldsOf = (status: number, message: string) => {
  const e = limitsError(new EngineError(status, message));
  return { code: e.code, message: e.message, fields: e.cause instanceof FieldError ? e.cause.fields : null };
};

test('dockerd and runc messages map to their field, with the words unchanged', () => {
  assert.deepEqual(fieldsOf(400, 'Minimum memory limit allowed is 6MB'), { code: 'BAD_REQUEST', message: 'Minimum memory limit allowed is 6MB', fields: { memory: ['Minimum memory limit allowed is 6MB'] } });
  const busy = 'Cannot update container abc: unable to set memory limit to 10485760 (current usage: 42246144, peak usage: 42463232)';
  assert.deepEqual(fieldsOf(500, busy).fields, { memory: [busy] });
  const cpus = 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available';
  assert.deepEqual(fieldsOf(400, cpus).fields, { cpus: [cpus] });
  const swap = 'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time';
  assert.deepEqual(fieldsOf(409, swap).fields, { memory: [swap] });
  assert.equal(fieldsOf(409, swap).code, 'CONFLICT');
});

test('anything else stays a plain error', () => {
  const e = fieldsOf(404, 'No such container: nope');
  assert.equal(e.code, 'NOT_FOUND');
  assert.equal(e.fields, null);
});
