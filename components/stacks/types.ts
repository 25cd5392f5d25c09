// The stacks API's shapes as the dashboard sees them (inferred from the router, never restated).
import type { RouterInputs, RouterOutputs, Yield } from '../trpc/types';

export type StackSummary = RouterOutputs['stacks']['list'][number];
export type StackDetail = RouterOutputs['stacks']['get'];
export type StackPlan = RouterOutputs['stacks']['plan'];
export type Validation = RouterOutputs['stacks']['validate'];
export type StackIssue = Validation['issues'][number];
export type VersionMeta = RouterOutputs['stacks']['versions'][number];
export type DeployEvent = Yield<RouterOutputs['stacks']['deploy']>;
export type LogBatch = Yield<RouterOutputs['stacks']['logs']>;
export type StackFilesInput = RouterInputs['stacks']['plan'];
export type StackAsset = NonNullable<StackFilesInput['assets']>[number];
export type ComposeFile = StackFilesInput['files'][number];
