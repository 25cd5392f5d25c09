// The engine refuses impossible limits in its own words ("Minimum memory limit allowed is 6MB", "Range of
// CPUs is from 0.01 to 2.00, …", runc's "unable to set memory limit to …"): the limits form shows each
// beside the field it is about.
import { TRPCError } from '@trpc/server';
import { FieldError } from '../../field-error.ts';
import { toTrpcError } from '../engine-context.ts';

type LimitField = 'memory' | 'memorySwap' | 'cpus' | 'pidsLimit';

function fieldOf(message: string): LimitField | null {
  if (/memoryswap|swap limit/i.test(message) && !/memory limit should be smaller/i.test(message)) return 'memorySwap';
  if (/memory/i.test(message)) return 'memory';
  if (/cpu/i.test(message)) return 'cpus';
  if (/pids/i.test(message)) return 'pidsLimit';
  return null;
}

export function limitsError(err: unknown): TRPCError {
  const e = toTrpcError(err);
  const field = fieldOf(e.message);
  if (!field) return e;
  return new TRPCError({ code: e.code, message: e.message, cause: new FieldError(e.message, { [field]: [e.message] }) });
}
