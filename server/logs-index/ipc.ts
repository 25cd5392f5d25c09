// Messages between the server and the indexer process.
export type ToIndexer = { type: 'sweep' };

export type FromIndexer = { type: 'ready' } | { type: 'tick'; lines: number } | { type: 'error'; message: string };
