import type { NextConfig } from 'next';

const config: NextConfig = {
  // The custom server (server/main.ts) owns /api/trpc and /ws; Next only renders pages.
  poweredByHeader: false,
  reactStrictMode: true,
  // Types are checked by `npm run typecheck` (part of `npm test`) over the whole project; a type error in a
  // test or benchmark must not stop `npm start` from building the dashboard.
  typescript: { tsconfigPath: 'tsconfig.json', ignoreBuildErrors: true },
  turbopack: { root: import.meta.dirname },
};

export default config;
