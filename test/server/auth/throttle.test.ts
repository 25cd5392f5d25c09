import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BASE_DELAY_MS, FREE_ATTEMPTS, LoginThrottle, MAX_DELAY_MS } from '../../../server/auth/throttle.ts';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

test('the first failures are free, then the delay grows', () => {
  const c = clock();
  const t = new LoginThrottle(c.now);
  const keys = { account: 'alice', ip: '10.0.0.1' };
  for (let i = 1; i < FREE_ATTEMPTS; i++) {
    t.recordFailure(keys);
    assert.equal(t.retryAfterMs(keys), 0, `after ${i} failures`);
  }
  t.recordFailure(keys);
  assert.equal(t.retryAfterMs(keys), BASE_DELAY_MS);
  c.advance(BASE_DELAY_MS);
  assert.equal(t.retryAfterMs(keys), 0);
  t.recordFailure(keys);
  assert.equal(t.retryAfterMs(keys), 2 * BASE_DELAY_MS);
  c.advance(2 * BASE_DELAY_MS);
  t.recordFailure(keys);
  assert.equal(t.retryAfterMs(keys), 4 * BASE_DELAY_MS);
});

test('the delay is capped', () => {
  const c = clock();
  const t = new LoginThrottle(c.now);
  const keys = { account: 'bob', ip: '10.0.0.2' };
  for (let i = 0; i < 40; i++) t.recordFailure(keys);
  assert.equal(t.retryAfterMs(keys), MAX_DELAY_MS);
});

test('an account is throttled from any IP, and an IP for any account', () => {
  const t = new LoginThrottle(clock().now);
  for (let i = 0; i < FREE_ATTEMPTS; i++) t.recordFailure({ account: 'carol', ip: `10.0.1.${i}` });
  assert.ok(t.retryAfterMs({ account: 'CAROL', ip: '10.9.9.9' }) > 0, 'account key is case-insensitive');
  for (let i = 0; i < FREE_ATTEMPTS; i++) t.recordFailure({ account: `user${i}`, ip: '10.0.2.1' });
  assert.ok(t.retryAfterMs({ account: 'dave', ip: '10.0.2.1' }) > 0);
  assert.equal(t.retryAfterMs({ account: 'dave', ip: '10.0.2.2' }), 0);
});

test('a success clears the record', () => {
  const c = clock();
  const t = new LoginThrottle(c.now);
  const keys = { account: 'erin', ip: '10.0.3.1' };
  for (let i = 0; i < FREE_ATTEMPTS; i++) t.recordFailure(keys);
  c.advance(BASE_DELAY_MS);
  t.recordSuccess(keys);
  t.recordFailure(keys);
  assert.equal(t.retryAfterMs(keys), 0);
});
