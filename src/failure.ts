// Any error a stage meets, as the failure the report shows: the stages and the run share it.
import { HttpError } from './http.js';
import { ActionError } from './model.js';
import type { Failure, Stage } from './outcome.js';

export function toFailure(stage: Stage, error: unknown): Failure {
  if (error instanceof ActionError) return { stage, message: error.message, fix: error.fix, input: error.input };
  if (error instanceof HttpError) return { stage, message: error.message, fix: error.fix };
  const message = error instanceof Error ? error.message : String(error);
  return { stage, message: `Unexpected error: ${message}`, fix: 'This is a bug in airlift-sync: please report it with the job log.' };
}
