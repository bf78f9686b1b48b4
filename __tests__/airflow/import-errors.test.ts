import { describe, expect, it } from 'vitest';
import { producedBy, readStackTrace } from '../../src/airflow/import-errors.js';

const moduleError = [
  'Traceback (most recent call last):',
  '  File "<frozen importlib._bootstrap>", line 488, in _call_with_frames_removed',
  '  File "/opt/airflow/dags/team/etl.py", line 4, in <module>',
  '    from helpers import load',
  '  File "/opt/airflow/dags/team/helpers.py", line 1, in <module>',
  '    import pandas_nope',
  "ModuleNotFoundError: No module named 'pandas_nope'",
  '',
].join('\n');

const syntaxError = [
  'Traceback (most recent call last):',
  '  File "/opt/airflow/dags/etl.py", line 7',
  '    with DAG("etl" as dag:',
  '             ^^^^^^^^^^^^',
  "SyntaxError: '(' was never closed",
].join('\n');

describe('reading an import error', () => {
  it('takes the line of the DAG file itself and the exception message', () => {
    expect(readStackTrace(moduleError, '/opt/airflow/dags/team/etl.py')).toEqual({
      line: 4,
      codeLine: 'from helpers import load',
      message: "ModuleNotFoundError: No module named 'pandas_nope'",
    });
  });

  it('matches an Airflow 3 file name relative to the bundle', () => {
    expect(readStackTrace(moduleError, 'team/etl.py').line).toBe(4);
  });

  it('reads syntax errors, skipping the caret line', () => {
    expect(readStackTrace(syntaxError, '/opt/airflow/dags/etl.py')).toEqual({
      line: 7,
      codeLine: 'with DAG("etl" as dag:',
      message: "SyntaxError: '(' was never closed",
    });
  });

  it('reads the location of a bare exception message (tracebacks turned off)', () => {
    expect(readStackTrace('invalid syntax (etl.py, line 3)', '/opt/airflow/dags/etl.py')).toEqual({
      line: 3,
      message: 'invalid syntax (etl.py, line 3)',
    });
  });

  it('keeps a redacted trace as the message, without a line', () => {
    const redacted = 'REDACTED - you do not have read permission on all DAGs in the file';
    expect(readStackTrace(redacted, 'etl.py')).toEqual({ message: redacted });
  });
});

describe('telling which revision raised it', () => {
  const detail = readStackTrace(syntaxError, '/opt/airflow/dags/etl.py');
  const lines = (line7: string) => ['a', 'b', 'c', 'd', 'e', 'f', line7, 'h'].join('\n');

  it('is the revision whose line the traceback quotes', () => {
    expect(producedBy(detail, lines('    with DAG("etl" as dag:'))).toBe(true);
    expect(producedBy(detail, lines('with DAG("etl") as dag:'))).toBe(false);
  });

  it('cannot tell without a quoted line', () => {
    expect(producedBy({ message: 'x', line: 3 }, lines(''))).toBeUndefined();
  });
});
