// What the runner reads from the action: workflow commands on stdout and the GITHUB_OUTPUT file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseOutputFile } from '../support/run-action.js';
import { error, getInput, group, setFailed, setOutput, setSecret } from '../../src/runner.js';

describe('runner I/O', () => {
  let written: string[];
  let folder: string;
  beforeEach(() => {
    written = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
    folder = mkdtempSync(path.join(os.tmpdir(), 'airlift-runner-io-'));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    rmSync(folder, { recursive: true, force: true });
  });

  it('escapes annotation text and properties so that a value cannot end or add a command', () => {
    error('line 1\nline 2 100%\r', { title: 'a: b, c', file: 'dags/x.py', startLine: 3, startColumn: 0 });
    expect(written.join('')).toBe('::error title=a%3A b%2C c,file=dags/x.py,line=3::line 1%0Aline 2 100%25%0D\n');
  });

  it('masks a secret and fails the step with exit status 1', () => {
    const before = process.exitCode;
    try {
      setSecret('s3cret');
      setFailed('It broke.');
      expect(written.join('')).toBe('::add-mask::s3cret\n::error::It broke.\n');
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = before;
    }
  });

  it('writes outputs, multi-line ones included, as the runner reads them back', () => {
    const file = path.join(folder, 'output');
    writeFileSync(file, '');
    vi.stubEnv('GITHUB_OUTPUT', file);
    setOutput('result', 'planned');
    setOutput('summary', 'one\ntwo');
    expect(parseOutputFile(readFileSync(file, 'utf8'))).toEqual({ result: 'planned', summary: 'one\ntwo' });
  });

  it('ends an output with a delimiter its value does not contain, even when chance first offers one it does', () => {
    const file = path.join(folder, 'output');
    writeFileSync(file, '');
    vi.stubEnv('GITHUB_OUTPUT', file);
    const draws = [0.5, 0.5];
    vi.spyOn(Math, 'random').mockImplementation(() => draws.shift() ?? Math.PI - 3);
    const offeredFirst = `ghadelimiter_${(0.5).toString(36).slice(2).repeat(2)}`;
    const value = `one\n${offeredFirst}\nforged<<x\ntwo`;
    setOutput('summary', value);
    expect(parseOutputFile(readFileSync(file, 'utf8'))).toEqual({ summary: value });
  });

  it('closes a group when its work fails', async () => {
    await expect(group('Read', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(written.join('')).toBe('::group::Read\n::endgroup::\n');
  });

  it('reads an input by its name as the runner sets it, trimmed', () => {
    vi.stubEnv('INPUT_DAGS-FOLDER', '  dags \n');
    vi.stubEnv('INPUT_MY_INPUT', 'x');
    expect([getInput('dags-folder'), getInput('my input'), getInput('unset')]).toEqual(['dags', 'x', '']);
  });
});
