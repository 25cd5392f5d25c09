'use client';

// Validate and plan are queries, which the app's batch link sends as GETs with the input in the URL;
// compose files and build contexts outgrow a URL, so these two go as POSTs (the server allows the
// method override).
import { createTRPCClient, httpLink } from '@trpc/client';
import { useState } from 'react';
import superjson from 'superjson';
import type { AppRouter } from '../../server/api/root.ts';

export type PostClient = ReturnType<typeof createTRPCClient<AppRouter>>;

export function usePostClient(): PostClient {
  const [client] = useState(() => createTRPCClient<AppRouter>({ links: [httpLink({ url: '/api/trpc', transformer: superjson, methodOverride: 'POST' })] }));
  return client;
}
