// `npm run build`: the database functions under src/<module>/sql/ go to dist/src/ beside the compiled code
// that installs them (src/database/routines.ts reads them relative to itself).
import { cpSync, statSync } from 'node:fs';

cpSync('src', 'dist/src', { recursive: true, filter: (path) => statSync(path).isDirectory() || path.endsWith('.sql') });
