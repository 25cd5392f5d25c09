// Image updates (issue 23). The procedures live here; images.checkUpdates, containers.updateImage and
// stacks.updateImages are registered in their routers with one line each, and updates.* is its own router.
import { z } from 'zod';
import { operatorProcedure, protectedProcedure, router, type Context } from '../../trpc.ts';
import { LOCAL_ENDPOINT } from '../../../engine/hub.ts';
import { listHistory } from '../../../updates/history.ts';
import { updatesOf, type UpdateEvent } from '../../../updates/service.ts';
import { policySchema, setStackPolicy, stackPolicies } from '../../../updates/stack-policy.ts';
import { engineOf } from '../engine-context.ts';
import { endpointIdOf } from '../../../engine/endpoint-choice.ts';

const gateInput = z
  .object({
    /** Without a health check: seconds it must keep running. */
    settleSeconds: z.number().int().min(1).max(600).default(5),
    timeoutSeconds: z.number().int().min(5).max(1800).default(120),
  })
  .strict();
const actorOf = (ctx: Context) => ctx.session?.user.username ?? null;
const endpoint = (ctx: Context) => endpointIdOf(ctx.req) ?? LOCAL_ENDPOINT;
const gateOf = (g: z.infer<typeof gateInput> | undefined) => ({ settleMs: (g?.settleSeconds ?? 5) * 1000, timeoutMs: (g?.timeoutSeconds ?? 120) * 1000 });

export const checkUpdates = protectedProcedure.input(z.object({ force: z.boolean().default(false) }).strict().optional()).query(async ({ ctx, input }) => {
  const engine = await engineOf(ctx);
  return updatesOf(ctx.services).check(engine, endpoint(ctx), input?.force ?? false);
});

export const updateImage = operatorProcedure
  .input(z.object({ id: z.string().min(1).max(256), gate: gateInput.optional() }).strict())
  .mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    ctx.audit.target = input.id;
    return updatesOf(ctx.services).updateOne(engine, endpoint(ctx), input.id, { trigger: 'manual', actor: actorOf(ctx) }, { gate: gateOf(input.gate) });
  });

export const updateStackImages = operatorProcedure
  .input(z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a stack name').max(128), gate: gateInput.optional() }).strict())
  .mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    ctx.audit.target = input.name;
    return updatesOf(ctx.services).updateStack(engine, endpoint(ctx), input.name, { actor: actorOf(ctx) }, { gate: gateOf(input.gate) });
  });

const stackName = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a stack name').max(128);

export const updatesRouter = router({
  /** Stacks' update policies set in the dashboard (a container's berth.update label still wins). */
  stackPolicies: protectedProcedure.query(async ({ ctx }) => {
    return [...(await stackPolicies(ctx.services.db, endpoint(ctx)))].map(([stack, policy]) => ({ stack, policy }));
  }),
  /** Sets a stack's policy (auto | notify | off), or null to go back to the default (notify). */
  setStackPolicy: operatorProcedure.input(z.object({ name: stackName, policy: policySchema.nullable() }).strict()).mutation(async ({ ctx, input }) => {
    ctx.audit.target = input.name;
    await setStackPolicy(ctx.services.db, endpoint(ctx), input.name, input.policy);
    return { name: input.name, policy: input.policy };
  }),
  history: protectedProcedure.input(z.object({ take: z.number().int().min(1).max(500).default(100) }).strict().optional()).query(async ({ ctx, input }) => {
    return listHistory(ctx.services.db, { endpointId: endpoint(ctx), take: input?.take ?? 100 });
  }),
  /** Update checks and outcomes as they happen (the dashboard's badges and toasts). */
  events: protectedProcedure.subscription(async function* ({ ctx, signal }) {
    const id = endpoint(ctx);
    const queue: UpdateEvent[] = [];
    let wake: (() => void) | null = null;
    const on = (e: UpdateEvent) => {
      if (e.endpointId !== id) return;
      queue.push(e);
      if (queue.length > 200) queue.shift();
      wake?.();
    };
    const svc = updatesOf(ctx.services);
    svc.events.on('event', on);
    try {
      while (!signal?.aborted) {
        while (queue.length) yield queue.shift()!;
        await new Promise<void>((r) => {
          wake = r;
          signal?.addEventListener('abort', () => r(), { once: true });
        });
        wake = null;
      }
    } finally {
      svc.events.off('event', on);
    }
  }),
});
