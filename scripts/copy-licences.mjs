// Copy the repository's licence texts into each npm package folder given,
// before `npm pack`: npm leaves symbolic links out of a tarball, so the
// packages carry copies (ignored by git), as listed in their `files`.
//
//   node scripts/copy-licences.mjs DIR...
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error('usage: node scripts/copy-licences.mjs DIR...');
  process.exit(2);
}
for (const dir of dirs) {
  for (const licence of ['LICENSE-MIT', 'LICENSE-APACHE']) {
    copyFileSync(join(root, licence), join(dir, licence));
  }
}
