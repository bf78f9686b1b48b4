// The changes stage run directly on real git repositories: a push of a repository's range, with a
// config without tags or token and a silent log, and the repositories removed after the file's tests.
import { afterAll } from 'vitest';
import { createRepo, pushPayload, type GitRepo } from '../../sim/git-repo.js';
import type { RunContext } from '../../src/context.js';
import type { Config } from '../../src/inputs.js';
import type { Logger } from '../../src/log.js';
import { readChanges, type ChangesStage, type NamedInstance } from '../../src/stages/changes.js';

const silentLog: Logger = { info: () => {}, debug: () => {}, warning: () => {}, group: (_, work) => work() };
const stageConfig = { includeTags: false, githubToken: '' } as Config;

/** A maker of fresh repositories, each removed once the calling test file's tests are done. */
export function repositories(): () => GitRepo {
  const made: GitRepo[] = [];
  afterAll(() => made.forEach((repo) => repo.remove()));
  return () => {
    const repo = createRepo();
    made.push(repo);
    return repo;
  };
}

export function stageInstance(folder: string, name = 'prod', index = 0): NamedInstance {
  return { index, name, dagsFolders: [folder], ignoreSyntax: 'auto', airflowMajor: 2 };
}

/** The changes stage on the push of repo's before..after. */
export function readPush(repo: GitRepo, before: string, after: string, instances: readonly NamedInstance[]): Promise<ChangesStage> {
  return readChanges(stageConfig, pushContext(repo, before, after), instances, silentLog);
}

function pushContext(repo: GitRepo, before: string, after: string): RunContext {
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
