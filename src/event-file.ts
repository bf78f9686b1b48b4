// The runner's event payload (GITHUB_EVENT_PATH). A file that is missing, empty or cut short is
// named as such: read as an empty payload it would surface later as a field the event lacks.
import { readFileSync } from 'node:fs';
import { ActionError } from './model.js';

const FIX = 'Run the action as a step of a workflow the event triggered: the runner writes GITHUB_EVENT_PATH. A test harness must write the whole event JSON there.';

/** The payload, or {} when no event file is expected (no event name: run outside a workflow). */
export function readEventPayload(eventPath: string | undefined, eventName: string): unknown {
  if (!eventPath) {
    if (!eventName) return {};
    throw new ActionError(`GITHUB_EVENT_PATH is not set, so the ${eventName} event's payload is missing.`, FIX, 'GITHUB_EVENT_PATH');
  }
  let text: string;
  try {
    text = readFileSync(eventPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`;
    throw new ActionError(`The event file ${eventPath} (GITHUB_EVENT_PATH) ${why}.`, FIX, 'GITHUB_EVENT_PATH');
  }
  if (!text.trim()) throw new ActionError(`The event file ${eventPath} (GITHUB_EVENT_PATH) is empty.`, FIX, 'GITHUB_EVENT_PATH');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ActionError(`The event file ${eventPath} (GITHUB_EVENT_PATH) is truncated or not JSON (${text.length} bytes).`, FIX, 'GITHUB_EVENT_PATH');
  }
}
