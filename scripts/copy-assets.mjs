// ncc cannot see the files web-tree-sitter needs at run time: its two
// WebAssembly files (located through a path, not imported) and its CommonJS
// build (its ESM build breaks inside the bundle). The build places them next to
// dist/index.js, where src/dags/parser.ts looks for them; the CommonJS build is
// minified like the bundle.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { transformSync } from 'esbuild';

const require = createRequire(import.meta.url);
const dist = (name) => new URL(`../dist/${name}`, import.meta.url);

copyFileSync(require.resolve('web-tree-sitter/tree-sitter.wasm'), dist('tree-sitter.wasm'));
copyFileSync(require.resolve('tree-sitter-python/tree-sitter-python.wasm'), dist('tree-sitter-python.wasm'));
const runtime = readFileSync(require.resolve('web-tree-sitter'), 'utf8');
writeFileSync(dist('tree-sitter.cjs'), transformSync(runtime, { minify: true, format: 'cjs', platform: 'node', target: 'node20' }).code);
