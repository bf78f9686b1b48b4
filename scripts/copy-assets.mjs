// ncc cannot see the files web-tree-sitter needs at run time: its two
// WebAssembly files (located through a path, not imported) and its CommonJS
// build (its ESM build breaks inside the bundle). The build places them next to
// dist/index.js, where src/dags/parser.ts looks for them.
import { copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const files = {
  'tree-sitter.cjs': 'web-tree-sitter',
  'tree-sitter.wasm': 'web-tree-sitter/tree-sitter.wasm',
  'tree-sitter-python.wasm': 'tree-sitter-python/tree-sitter-python.wasm',
};
for (const [name, module] of Object.entries(files)) {
  copyFileSync(require.resolve(module), new URL(`../dist/${name}`, import.meta.url));
}
