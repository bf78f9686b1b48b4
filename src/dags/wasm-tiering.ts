// When V8 optimizes the parser's WebAssembly. V8 runs each WebAssembly function first as Liftoff
// (baseline) code and recompiles the ones that run a lot with TurboFan on background threads: its
// default threshold ("tiering budget", roughly bytes of code executed) is reached within the first
// file, so a push of one or two files started TurboFan compiles of tree-sitter's lexer and parse
// loop that it never profited from, and Node waited at exit for them to finish (about 45 ms of a
// 230 ms run, 120 ms of CPU). With a budget 55 times Node 20's, only a read of many files tiers up: the
// one-file dry run is as fast as with Liftoff alone, and a 1,000-file read is not slower (measured
// on the benchmark's dry runs; `--liftoff-only` instead made that read 5% slower).
//
// V8 reads the budget when it compiles and instantiates a module, so it is raised only around the
// parser's two modules, then set back for any other WebAssembly (undici's HTTP parser under fetch).
// V8 has no getter for a flag: it is set to Node 20's default, 1,800,000. Later V8s default higher
// (13,000,000 in recent ones), where this only makes that other WebAssembly tier up sooner, and
// where the parser's budget is still 7 times the default. Setting V8 flags at run time is what
// src/memory.ts does too.
import { setFlagsFromString } from 'node:v8';

const PARSER_TIERING_BUDGET = 100_000_000;
const NODE20_DEFAULT_TIERING_BUDGET = 1_800_000;

/** Runs `compile` (the parser's WebAssembly compilation and instantiation) with the raised budget. */
export async function withLateTierUp<T>(compile: () => Promise<T>): Promise<T> {
  setFlagsFromString(`--wasm-tiering-budget=${PARSER_TIERING_BUDGET}`);
  try {
    return await compile();
  } finally {
    setFlagsFromString(`--wasm-tiering-budget=${NODE20_DEFAULT_TIERING_BUDGET}`);
  }
}
