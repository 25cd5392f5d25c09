import type { NextConfig } from 'next';

const config: NextConfig = {
  // The custom server (server/main.ts) owns /api/trpc and /ws; Next only renders pages.
  poweredByHeader: false,
  reactStrictMode: true,
  typescript: { tsconfigPath: 'tsconfig.json' },
  turbopack: { root: import.meta.dirname },
};

export default config;
