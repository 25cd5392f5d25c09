import path from 'node:path';

/** Real dockerd 20.10 responses, vendored from shared/fixtures so a clone runs its tests anywhere. */
export const DOCKER_API_FIXTURES = path.resolve(import.meta.dirname, '../fixtures/docker-api');
