// Parses what an admin types as an endpoint address into dockerode's connection options.
import { z } from 'zod';
import type { DockerEndpointOptions } from './dockerode-engine.ts';

export const endpointUrlSchema = z
  .string()
  .trim()
  .min(1, 'Give the endpoint address.')
  .max(500)
  .refine((u) => /^unix:\/\/\/.+/.test(u) || /^tcp:\/\/[^\s/:]+(:\d{1,5})?\/?$/.test(u), {
    message: 'Use unix:///path/to/docker.sock or tcp://host:port.',
  });

export interface EndpointRecord {
  id: string;
  name: string;
  kind: string;
  url: string;
  tlsCa: string | null;
  tlsCert: string | null;
  tlsKey: string | null;
}

/** unix:///var/run/docker.sock → socketPath; tcp://h:p → host/port, https when TLS material is present. */
export function dockerOptionsFor(e: EndpointRecord): DockerEndpointOptions {
  if (e.url.startsWith('unix://')) return { socketPath: e.url.slice('unix://'.length) };
  const u = new URL(e.url.replace(/^tcp:/, 'http:'));
  const tls = Boolean(e.tlsCa || e.tlsCert);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : tls ? 2376 : 2375,
    protocol: tls ? 'https' : 'http',
    ca: e.tlsCa ?? undefined,
    cert: e.tlsCert ?? undefined,
    key: e.tlsKey ?? undefined,
  };
}
