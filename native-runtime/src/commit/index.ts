export { commitContainer, type CommitDeps } from './commit.js';
export { withoutEntries } from './filter.js';
