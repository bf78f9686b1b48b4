// The static DAG reader: what a revision of a Python file defines, and how two revisions differ.
export { diffDagFiles } from './diff.js';
export { findImportLinks, findImporters, type ImportLink } from './importers.js';
export type { HelperSource } from './modules.js';
export { releasePythonParser } from './parser.js';
export { readDagFile, readWith, type ReadOptions } from './read.js';
