// Stacks: Compose applications (docs/stacks.md).
export { Stacks, hostBinds, hostDevices, type StackSummary, type StackDetail, type StackServiceView, type DeployInput, type StacksOptions } from './stacks.ts';
export { StackError, formatIssue, type StackIssue } from './errors.ts';
export type { StackEvent, ServicePhase, Emit } from './events.ts';
export type { Plan, ServicePlan, ServiceAction } from './plan.ts';
export type { Project, ServiceConfig } from './model.ts';
export type { ProjectContainer } from './inventory.ts';
export type { StackAsset, StackContent, VersionMeta } from './store.ts';
export { loadProject, PROJECT_NAME, type ComposeFile, type LoadInput } from './load.ts';
export { L as COMPOSE_LABELS, containerName } from './labels.ts';
