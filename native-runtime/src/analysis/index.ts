// The layer inspector (issue 9): dive-grade image analysis, trees, file contents and diffs, image
// comparison and live container diffs. docs/layers.md has the definitions.
export { Analyzer, type AnalyzerDeps } from './analyzer.js';
export * from './schemas.js';
export type * from './types.js';
export { evaluateCi, parseByteSize, type CiRules, type CiResult } from './ci.js';
export { type Subscription } from './live/watcher.js';
export { unifiedDiff } from './line-diff.js';
