// GET /distribution/{name}/json (`docker buildx imagetools`, Watchtower-style checks): the descriptor a
// reference resolves to in its registry, without pulling. X-Registry-Auth as for a pull.
import { route, type Ctx, type Route } from '../context.ts';
import { sendJson } from '../http.ts';
import { decodeRegistryAuth } from '../registry-auth.ts';

async function inspect(ctx: Ctx): Promise<void> {
  const authconfig = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
  sendJson(ctx.res, 200, await ctx.engine.getImage(ctx.params['name']!).distribution(authconfig ? { authconfig } : {}));
}

export const distributionRoutes: Route[] = [route('GET', '/distribution/{name+}/json', inspect)];
