// The Engine API's settings from the environment (zod at the boundary):
//   BERTH_ENGINE_API=0                     no Engine API socket
//   BERTH_ENGINE_SOCKET=/path              default $BERTH_RUN/berth.sock
//   BERTH_ENGINE_TCP=host:port             also listen on TCP — only with mutual TLS:
//   BERTH_ENGINE_TLS_CA / _CERT / _KEY     CA that signs client certificates, server cert and key
import path from 'node:path';
import { z } from 'zod';

export interface EngineApiConfig {
  enabled: boolean;
  socketPath: string;
  tcp: { host: string; port: number; tls: { ca: string; cert: string; key: string } } | null;
}

const envSchema = z.object({
  BERTH_RUN: z.string().min(1).default('/run/berth'),
  BERTH_ENGINE_API: z.enum(['0', '1', 'false', 'true', 'off', 'on']).optional(),
  BERTH_ENGINE_SOCKET: z.string().min(1).optional(),
  BERTH_ENGINE_TCP: z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'BERTH_ENGINE_TCP must be host:port')
    .optional(),
  BERTH_ENGINE_TLS_CA: z.string().min(1).optional(),
  BERTH_ENGINE_TLS_CERT: z.string().min(1).optional(),
  BERTH_ENGINE_TLS_KEY: z.string().min(1).optional(),
});

export function loadEngineApiConfig(env: Record<string, string | undefined> = process.env): EngineApiConfig {
  const e = envSchema.parse(env);
  const enabled = !['0', 'false', 'off'].includes(e.BERTH_ENGINE_API ?? '1');
  const socketPath = path.resolve(e.BERTH_ENGINE_SOCKET ?? path.join(e.BERTH_RUN, 'berth.sock'));
  let tcp: EngineApiConfig['tcp'] = null;
  if (e.BERTH_ENGINE_TCP) {
    if (!e.BERTH_ENGINE_TLS_CA || !e.BERTH_ENGINE_TLS_CERT || !e.BERTH_ENGINE_TLS_KEY) {
      // The Engine API is root on this host: never on the network without client certificates.
      throw new Error('BERTH_ENGINE_TCP needs BERTH_ENGINE_TLS_CA, BERTH_ENGINE_TLS_CERT and BERTH_ENGINE_TLS_KEY (mutual TLS)');
    }
    const i = e.BERTH_ENGINE_TCP.lastIndexOf(':');
    const port = Number(e.BERTH_ENGINE_TCP.slice(i + 1));
    if (port < 1 || port > 65535) throw new Error('BERTH_ENGINE_TCP: port out of range');
    tcp = {
      host: e.BERTH_ENGINE_TCP.slice(0, i).replace(/^\[|\]$/g, ''),
      port,
      tls: { ca: e.BERTH_ENGINE_TLS_CA, cert: e.BERTH_ENGINE_TLS_CERT, key: e.BERTH_ENGINE_TLS_KEY },
    };
  }
  return { enabled, socketPath, tcp };
}
