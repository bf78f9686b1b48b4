// Reads the line and message out of the traceback Airflow stores for a file
// that failed to import, and tells whether that traceback was produced by the
// pushed revision of the file (its quoted code line is the pushed one). Pure.

export interface ImportErrorDetail {
  /** 1-based line in the DAG file itself, when the traceback names it. */
  readonly line?: number;
  /** The exception line, e.g. "ModuleNotFoundError: No module named 'foo'". */
  readonly message: string;
  /** The source line the traceback quotes for that line. */
  readonly codeLine?: string;
}

const FRAME = /^\s*File "([^"]+)", line (\d+)/;
const CARETS = /^\s*[\^~]+\s*$/;
const INLINE_LOCATION = /\(([^()]*), line (\d+)\)/;

/** `airflowPath` is the file as Airflow names it (absolute, or relative to the bundle). */
export function readStackTrace(stackTrace: string, airflowPath: string): ImportErrorDetail {
  const lines = stackTrace.split(/\r?\n/);
  const isThisFile = (file: string) => file === airflowPath || file.endsWith(`/${airflowPath.replace(/^\/+/, '')}`);
  let line: number | undefined;
  let codeLine: string | undefined;
  lines.forEach((text, index) => {
    const frame = FRAME.exec(text);
    if (!frame || !isThisFile(frame[1]!)) return;
    line = Number(frame[2]);
    const next = lines[index + 1];
    codeLine = next !== undefined && /^\s{4,}\S/.test(next) && !FRAME.test(next) && !CARETS.test(next) ? next.trim() : undefined;
  });
  const message =
    [...lines].reverse().find((text) => text.trim() && !FRAME.test(text) && !CARETS.test(text) && !/^\s{4,}/.test(text))?.trim() ??
    stackTrace.trim();
  if (line === undefined) {
    // str(SyntaxError) when tracebacks are off: "invalid syntax (etl.py, line 3)".
    const inline = INLINE_LOCATION.exec(message);
    const base = airflowPath.split('/').pop();
    if (inline && base && inline[1]!.split('/').pop() === base) line = Number(inline[2]);
  }
  return { ...(line === undefined ? {} : { line }), message, ...(codeLine === undefined ? {} : { codeLine }) };
}

/** True/false when the quoted code line settles whether `source` produced the error; undefined when it cannot tell. */
export function producedBy(detail: ImportErrorDetail, source: string): boolean | undefined {
  if (detail.line === undefined || detail.codeLine === undefined) return undefined;
  const actual = source.split(/\r?\n/)[detail.line - 1];
  return actual !== undefined && actual.trim() === detail.codeLine;
}
