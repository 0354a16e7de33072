import { InitialSchema1763800000000 } from './1763800000000-initial-schema.js';

/**
 * Every migration, oldest first. Listed explicitly (no glob) so the same list
 * works from TypeScript under jest and from dist/ in production.
 * A new migration file must be added here.
 */
export const migrations = [InitialSchema1763800000000];
