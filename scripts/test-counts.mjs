// Prints "<passed> <failed>" from a Vitest JSON report (0 1 when the report is missing).
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file || !existsSync(file)) {
  console.log('0 1');
} else {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  console.log(`${report.numPassedTests} ${report.numFailedTests}`);
}
