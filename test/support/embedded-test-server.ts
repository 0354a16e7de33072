export const TEST_EMBEDDED_DIR = '.data/test-pg';
/** Holds the pid of the jest process that started the embedded test server, so its teardown stops it. */
export const EMBEDDED_OWNER_FILE = '.data/test-pg.owner';
