// /networks*: list, create, inspect, remove, connect, disconnect, prune.
import { z } from 'zod';
import type { NetworkCreateOptions } from '@berth/runtime/engine';
import { route, type Ctx, type Route } from '../context.ts';
import { parseFilters } from '../filters.ts';
import { parseWith, readJsonBody, sendEmpty, sendJson } from '../http.ts';

// Swagger NetworkCreateRequest. Clients send null for what they leave out (Go's nil maps and slices):
// null reads as absent, so the parsed body is a NetworkCreateOptions without a cast.
const absent = <T extends z.ZodType>(t: T) => t.nullish().transform((v) => v ?? undefined);
const StringMap = z.record(z.string(), z.string());
const IPAMConfigSchema = z.looseObject({
  Subnet: absent(z.string()),
  IPRange: absent(z.string()),
  Gateway: absent(z.string()),
  AuxiliaryAddresses: absent(StringMap),
});
const CreateSchema = z.looseObject({
  Name: z.string().min(1, 'network name is required'),
  CheckDuplicate: absent(z.boolean()),
  Driver: absent(z.string()),
  Internal: absent(z.boolean()),
  Attachable: absent(z.boolean()),
  Ingress: absent(z.boolean()),
  IPAM: absent(z.looseObject({ Driver: absent(z.string()), Config: absent(z.array(IPAMConfigSchema)), Options: absent(StringMap) })),
  EnableIPv6: absent(z.boolean()),
  Options: absent(StringMap),
  Labels: absent(StringMap),
}) satisfies z.ZodType<NetworkCreateOptions>;
const ConnectSchema = z.looseObject({ Container: z.string().min(1), EndpointConfig: z.looseObject({}).nullable().optional() });
const DisconnectSchema = z.looseObject({ Container: z.string().min(1), Force: z.boolean().optional() });

async function list(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.listNetworks({ filters: parseFilters(ctx.query.str('filters')) }));
}

async function create(ctx: Ctx): Promise<void> {
  const body = parseWith(CreateSchema, (await readJsonBody(ctx.req)) ?? {});
  const n = await ctx.engine.createNetwork(body);
  ctx.audit.target = `${body.Name} (${n.id})`;
  sendJson(ctx.res, 201, { Id: n.id, Warning: '' });
}

async function inspect(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.getNetwork(ctx.params['id']!).inspect());
}

async function remove(ctx: Ctx): Promise<void> {
  await ctx.engine.getNetwork(ctx.params['id']!).remove();
  sendEmpty(ctx.res, 204);
}

async function connect(ctx: Ctx): Promise<void> {
  const body = parseWith(ConnectSchema, (await readJsonBody(ctx.req)) ?? {});
  ctx.audit.target = `${ctx.params['id']} ← ${body.Container}`;
  await ctx.engine.getNetwork(ctx.params['id']!).connect({ Container: body.Container, ...(body.EndpointConfig ? { EndpointConfig: body.EndpointConfig } : {}) });
  sendEmpty(ctx.res, 200);
}

async function disconnect(ctx: Ctx): Promise<void> {
  const body = parseWith(DisconnectSchema, (await readJsonBody(ctx.req)) ?? {});
  ctx.audit.target = `${ctx.params['id']} → ${body.Container}`;
  await ctx.engine.getNetwork(ctx.params['id']!).disconnect({ Container: body.Container, Force: body.Force ?? false });
  sendEmpty(ctx.res, 200);
}

async function prune(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.pruneNetworks({ filters: parseFilters(ctx.query.str('filters')) }));
}

export const networkRoutes: Route[] = [
  route('GET', '/networks', list),
  route('POST', '/networks/create', create, { action: 'networks.create' }),
  route('POST', '/networks/prune', prune, { action: 'networks.prune' }),
  route('GET', '/networks/{id}', inspect),
  route('DELETE', '/networks/{id}', remove, { action: 'networks.remove' }),
  route('POST', '/networks/{id}/connect', connect, { action: 'networks.connect' }),
  route('POST', '/networks/{id}/disconnect', disconnect, { action: 'networks.disconnect' }),
];
