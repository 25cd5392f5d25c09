// /plugins*: Berth has no managed plugins, so it answers as a dockerd with none installed: an empty list
// (filters checked as dockerd checks them) and "not found" for any named plugin. Installing one (pull,
// create, privileges) stays a 501 from routes/system.ts, as Berth cannot run plugins.
import { route, type Ctx, type Route } from '../context.ts';
import { ApiError } from '../errors.ts';
import { parseFilters } from '../filters.ts';
import { sendJson } from '../http.ts';

/** moby's pluginAcceptedFilterTags and its error texts (daemon/cluster … plugin/backend_linux.go). */
function checkListFilters(raw: string | undefined): void {
  const filters = parseFilters(raw) ?? {};
  for (const [key, given] of Object.entries(filters)) {
    const values = Array.isArray(given) ? given : Object.keys(given).filter((k) => given[k]);
    if (key !== 'enabled' && key !== 'capability') throw new ApiError(400, `Invalid filter '${key}'`);
    if (key === 'enabled' && values.some((v) => v !== 'true' && v !== 'false')) {
      throw new ApiError(400, `Invalid filter 'enabled=[${values.join(' ')}]'`);
    }
  }
}

async function list(ctx: Ctx): Promise<void> {
  checkListFilters(ctx.query.str('filters'));
  sendJson(ctx.res, 200, []);
}

function notFound(name: string): ApiError {
  return new ApiError(404, `plugin "${name}" not found`);
}

/** Every call on a named plugin: none is installed. */
async function missing(ctx: Ctx): Promise<void> {
  const name = ctx.params['name']!;
  ctx.audit.target = name;
  throw notFound(name);
}

/** dockerd names the plugin with its default tag here (it parses the reference first). */
async function upgrade(ctx: Ctx): Promise<void> {
  const name = ctx.params['name']!;
  ctx.audit.target = name;
  const last = name.slice(name.lastIndexOf('/') + 1);
  throw notFound(last.includes(':') || last.includes('@') ? name : `${name}:latest`);
}

export const pluginRoutes: Route[] = [
  route('GET', '/plugins', list),
  route('GET', '/plugins/{name+}/json', missing),
  route('DELETE', '/plugins/{name+}', missing, { action: 'plugins.remove' }),
  route('POST', '/plugins/{name+}/enable', missing, { action: 'plugins.enable' }),
  route('POST', '/plugins/{name+}/disable', missing, { action: 'plugins.disable' }),
  route('POST', '/plugins/{name+}/push', missing, { action: 'plugins.push' }),
  route('POST', '/plugins/{name+}/set', missing, { action: 'plugins.set' }),
  route('POST', '/plugins/{name+}/upgrade', upgrade, { action: 'plugins.upgrade' }),
];
