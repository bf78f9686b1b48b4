// ncc cannot see the two WebAssembly files web-tree-sitter loads at run time
// (they are located through a path, not imported), so the build places them
// next to dist/index.js, where src/dags/parser.ts looks for them.
import { copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
for (const file of ['web-tree-sitter/tree-sitter.wasm', 'tree-sitter-python/tree-sitter-python.wasm']) {
  copyFileSync(require.resolve(file), new URL(`../dist/${file.split('/')[1]}`, import.meta.url));
}
