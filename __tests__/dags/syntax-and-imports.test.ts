import { describe, expect, it } from 'vitest';
import { py, read } from './helpers.js';

describe('files with syntax errors', () => {
  it('reports line, column and message, and still reads what it can, flagged partial', async () => {
    const result = await read(py`
      from airflow.sdk import DAG
      from airflow.providers.standard.operators.empty import EmptyOperator

      with DAG("broken"):
          a = EmptyOperator(task_id="a")
          b = EmptyOperator(task_id="b"
          a >> b
          c = EmptyOperator(task_id="c")
    `);
    expect(result.syntaxErrors.length).toBeGreaterThan(0);
    const first = result.syntaxErrors[0]!;
    expect(first.line).toBeGreaterThanOrEqual(6);
    expect(first.line).toBeLessThanOrEqual(7);
    expect(first.column).toBeGreaterThanOrEqual(1);
    expect(first.message).toMatch(/syntax|missing/);
    const dag = result.dags.find((d) => d.dagId === 'broken');
    expect(dag?.tasks).toContain('a');
    expect(dag?.partial).toBe(true);
  });

  it('names the token tree-sitter had to insert', async () => {
    const result = await read('x = (1,\n');
    expect(result.syntaxErrors.length).toBeGreaterThan(0);
    expect(result.syntaxErrors.map((e) => `${e.line}:${e.column} ${e.message}`).join('\n')).toMatch(/^1:/m);
  });

  it('reports no errors for a valid file', async () => {
    const result = await read('from airflow.sdk import DAG\nwith DAG("ok"):\n    pass\n');
    expect(result.syntaxErrors).toEqual([]);
    expect(result.dags[0]?.partial).toBe(false);
  });
});

describe('imports', () => {
  it('lists imported modules, relative ones with their dots, from-imports with their names', async () => {
    const result = await read(py`
      import os
      import common.utils
      import common.io as cio, json
      from common.helpers import build, load as loader
      from . import siblings
      from ..shared.config import SETTINGS
      from .local import *

      def later():
          import pandas
      @task
      def inside():
          from team.secrets import token
    `);
    expect(result.imports).toEqual([
      '.',
      '..shared.config',
      '..shared.config.SETTINGS',
      '.local',
      '.siblings',
      'common.helpers',
      'common.helpers.build',
      'common.helpers.load',
      'common.io',
      'common.utils',
      'json',
      'os',
      'pandas',
      'team.secrets',
      'team.secrets.token',
    ]);
  });

  it('finds imports in a function body whether or not the body was run', async () => {
    const result = await read(py`
      from airflow.sdk import DAG
      def build():
          import ran_module
          return DAG("built")
      def never_called():
          from idle_module import thing
      build()
    `);
    expect(result.imports).toEqual(['airflow.sdk', 'airflow.sdk.DAG', 'idle_module', 'idle_module.thing', 'ran_module']);
  });
});

describe('encodings and odd characters', () => {
  it('ignores a byte order mark and keeps line numbers', async () => {
    const result = await read('\uFEFFfrom airflow.sdk import DAG\nwith DAG("bom"):\n    pass\n');
    expect(result.dags.map((d) => [d.dagId, d.line])).toEqual([['bom', 2]]);
  });

  it('reads non-ASCII text around ids, and CRLF line ends', async () => {
    const result = await read('# -*- coding: utf-8 -*-\r\n"""Übersicht: 日本語 😀"""\r\nfrom airflow.sdk import DAG\r\nwith DAG("crlf_é"):\r\n    pass\r\n');
    expect(result.dags.map((d) => [d.dagId, d.line])).toEqual([['crlf_é', 4]]);
    expect(result.syntaxErrors).toEqual([]);
  });

  it('decodes escapes in ids and leaves raw strings alone', async () => {
    const result = await read('from airflow.sdk import DAG\nDAG("tab\\x2dsep")\nDAG(r"raw\\x2d")\nDAG("\\u00e9t\\u00e9")\n');
    expect(result.dags.map((d) => d.dagId)).toEqual(['tab-sep', 'été']);
    expect(result.dynamic).toHaveLength(1);
  });
});
