export const TEST_EMBEDDED_DIR = '.data/test-pg';
