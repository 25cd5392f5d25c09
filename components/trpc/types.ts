import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../server/api/root.ts';

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type ContainerSummary = RouterOutputs['containers']['list'][number];
export type ContainerInspect = RouterOutputs['containers']['inspect'];
export type CreateContainerInput = RouterInputs['containers']['create'];

/** What a subscription yields (its router output is the async iterable). */
export type Yield<T> = T extends AsyncIterable<infer U> ? U : T;
