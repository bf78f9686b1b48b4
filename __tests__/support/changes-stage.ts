// What the changes stage is given when a test runs it directly on a real git repository: a push
// context of the repository's range, a config without tags or token, and a silent log.
import type { GitRepo } from '../../sim/git-repo.js';
import { pushPayload } from '../../sim/git-repo.js';
import type { RunContext } from '../../src/context.js';
import type { Config } from '../../src/inputs.js';
import type { Logger } from '../../src/log.js';

export const silentLog: Logger = { info: () => {}, debug: () => {}, warning: () => {}, group: (_, work) => work() };

export const stageConfig = { includeTags: false, githubToken: '' } as Config;

export function pushContext(repo: GitRepo, before: string, after: string): RunContext {
  return {
    eventName: 'push',
    payload: pushPayload(repo, before, after),
    workspace: repo.dir,
    sha: after,
    repository: 'acme/airflow-dags',
    serverUrl: 'https://github.com',
    apiUrl: 'http://127.0.0.1:9',
    startedAt: Date.now(),
  };
}
