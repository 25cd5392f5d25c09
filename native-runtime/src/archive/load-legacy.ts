// The pre-1.10 `docker save` layout: `repositories` ({"name": {"tag": "<id>"}}) and one directory per
// v1 image, `<id>/json` (with `parent`) and `<id>/layer.tar`; no manifest.json. dockerd 20.10 still
// loads it (moby image/tarexport/load.go legacyLoad): every directory becomes an image whose rootfs and
// history are its parent's plus its own layer, its config the v1 JSON without id/parent/Size plus
// `rootfs` and `history` (image/v1 MakeConfigFromV1Config), and the repositories file tags them.
import { createGunzip } from 'node:zlib';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { badParameter } from '../errors.js';
import type { Descriptor } from '../images/types.js';

const ID_RE = /^[a-f0-9]{64}$/;

const RepositoriesSchema = z.record(z.string(), z.record(z.string(), z.string()));
const V1ImageSchema = z.looseObject({
  id: z.string().optional(),
  parent: z.string().optional(),
  created: z.string().optional(),
  author: z.string().optional(),
  comment: z.string().optional(),
  container_config: z.looseObject({ Cmd: z.array(z.string()).nullable().optional() }).nullable().optional(),
});

export interface LegacyIo {
  /** Archive paths of the small files read (`<id>/json`, `repositories`). */
  names: Iterable<string>;
  read(p: string): Promise<Buffer>;
  /** The layer blob at an archive path, stored. */
  layer(p: string): Promise<Descriptor>;
  /** A stored blob's bytes. */
  open(digest: string): Promise<AsyncIterable<Buffer>>;
  /** Stores a config and returns its digest (the image ID). */
  storeConfig(bytes: Buffer): Promise<string>;
}

export interface LegacyImage {
  configDigest: string;
  layers: Descriptor[];
  diffIds: string[];
  tags: string[];
  /** Image ID of the parent (loaded before this one). */
  parent?: string;
}

interface Loaded {
  configDigest: string;
  layers: Descriptor[];
  diffIds: string[];
  history: unknown[];
}

/** Images parents first, each with the tags `repositories` gives it. */
export async function legacyImages(io: LegacyIo): Promise<LegacyImage[]> {
  let repos: z.infer<typeof RepositoriesSchema>;
  try {
    repos = RepositoriesSchema.parse(JSON.parse((await io.read('repositories')).toString('utf8')));
  } catch {
    throw badParameter('invalid archive: repositories must map names to {tag: image id}');
  }
  const ids = [...io.names].map((n) => /^([^/]+)\/json$/.exec(n)?.[1]).filter((x): x is string => !!x);
  const loaded = new Map<string, Loaded>();
  const order: string[] = [];
  const parentOf = new Map<string, string>();

  const loadOne = async (oldId: string, depth: number): Promise<Loaded> => {
    const done = loaded.get(oldId);
    if (done) return done;
    if (!ID_RE.test(oldId)) throw badParameter(`invalid archive: invalid image id ${JSON.stringify(oldId)}`);
    if (depth > 256) throw badParameter('invalid archive: image parent chain is too long or loops');
    const raw = await io.read(`${oldId}/json`);
    let json: Record<string, unknown>;
    let v1: z.infer<typeof V1ImageSchema>;
    try {
      json = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      v1 = V1ImageSchema.parse(json);
    } catch {
      throw badParameter(`invalid archive: ${oldId}/json is not a v1 image config`);
    }
    const parent = v1.parent ? await loadOne(v1.parent, depth + 1) : undefined;
    if (v1.parent) parentOf.set(oldId, v1.parent);
    const layer = await io.layer(`${oldId}/layer.tar`);
    const diffId = await uncompressedDigest(io, layer);
    const diffIds = [...(parent?.diffIds ?? []), diffId];
    const history = [...(parent?.history ?? []), historyEntry(v1)];
    const config = v1Config(json, diffIds, history);
    const configDigest = await io.storeConfig(config);
    const out: Loaded = { configDigest, layers: [...(parent?.layers ?? []), layer], diffIds, history };
    loaded.set(oldId, out);
    order.push(oldId);
    return out;
  };
  for (const id of ids) await loadOne(id, 0);

  const tags = new Map<string, string[]>();
  for (const [name, tagMap] of Object.entries(repos)) {
    for (const [tag, oldId] of Object.entries(tagMap)) {
      if (!loaded.has(oldId)) throw badParameter(`invalid archive: invalid target ID: ${oldId}`);
      tags.set(oldId, [...(tags.get(oldId) ?? []), `${name}:${tag}`]);
    }
  }
  return order.map((id) => {
    const l = loaded.get(id)!;
    const p = parentOf.get(id);
    return { configDigest: l.configDigest, layers: l.layers, diffIds: l.diffIds, tags: tags.get(id) ?? [], ...(p ? { parent: loaded.get(p)!.configDigest } : {}) };
  });
}

/** image.History as HistoryFromConfig builds it; Go omits the empty fields. */
function historyEntry(v1: z.infer<typeof V1ImageSchema>): Record<string, unknown> {
  const h: Record<string, unknown> = { created: v1.created ?? '0001-01-01T00:00:00Z' };
  if (v1.author) h['author'] = v1.author;
  const by = (v1.container_config?.Cmd ?? []).join(' ');
  if (by) h['created_by'] = by;
  if (v1.comment) h['comment'] = v1.comment;
  return h;
}

/** MakeConfigFromV1Config: the v1 JSON without its v1-only keys, plus rootfs and history; keys sorted, as Go's map encoding. */
function v1Config(json: Record<string, unknown>, diffIds: string[], history: unknown[]): Buffer {
  const c: Record<string, unknown> = { ...json };
  for (const k of ['id', 'parent', 'Size', 'parent_id', 'layer_id', 'throwaway']) delete c[k];
  c['rootfs'] = { type: 'layers', diff_ids: diffIds };
  c['history'] = history;
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(c).sort()) sorted[k] = c[k];
  // Go's encoder escapes <, > and & in strings.
  return Buffer.from(JSON.stringify(sorted).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

async function uncompressedDigest(io: LegacyIo, layer: Descriptor): Promise<string> {
  if (!/gzip/.test(layer.mediaType)) return layer.digest;
  const hash = createHash('sha256');
  await pipeline(await io.open(layer.digest), createGunzip(), async (src: AsyncIterable<Buffer>) => {
    for await (const chunk of src) hash.update(chunk);
  });
  return `sha256:${hash.digest('hex')}`;
}
