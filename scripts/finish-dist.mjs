// What ncc leaves undone in dist/.
// - ncc minifies only dist/index.js, not the chunks of dynamic imports (the action itself, the
//   Octokit code): esbuild minifies them here, as the ESM modules they are.
// - ncc cannot see the files web-tree-sitter needs at run time: its two WebAssembly files (located
//   through a path, not imported) and its CommonJS build (its ESM build breaks inside the bundle).
//   They are placed next to dist/index.js, where src/dags/parser.ts looks for them: the CommonJS
//   build minified, the WebAssembly gzipped (two thirds of the action's size otherwise; it unpacks
//   in milliseconds).
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { transformSync } from 'esbuild';

const require = createRequire(import.meta.url);
const dist = (name) => new URL(`../dist/${name}`, import.meta.url);
// The chunks' legal comments go to licenses.txt, after ncc's: one non-ASCII name in a comment would
// make V8 hold the whole chunk's source as two-byte text, twice its size.
const legal = [];
const minify = (code, format) => {
  const result = transformSync(code, { minify: true, format, platform: 'node', target: 'node20', legalComments: 'external' });
  if (result.legalComments) legal.push(result.legalComments.trim());
  return result.code;
};

for (const chunk of readdirSync(dist('')).filter((name) => /^\d+\.index\.js$/.test(name)).sort()) {
  writeFileSync(dist(chunk), minify(readFileSync(dist(chunk), 'utf8'), 'esm'));
}
for (const wasm of ['web-tree-sitter/tree-sitter.wasm', 'tree-sitter-python/tree-sitter-python.wasm']) {
  writeFileSync(dist(`${wasm.split('/')[1]}.gz`), gzipSync(readFileSync(require.resolve(wasm)), { level: 9 }));
}
writeFileSync(dist('tree-sitter.cjs'), minify(readFileSync(require.resolve('web-tree-sitter'), 'utf8'), 'cjs'));
if (legal.length) appendFileSync(dist('licenses.txt'), `\nLegal comments kept from the bundled sources:\n\n${[...new Set(legal)].join('\n\n')}\n`);
