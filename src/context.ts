// What the runner tells a run about the event: shared by the entry, the run and its stages.
export interface RunContext {
  readonly eventName: string;
  readonly payload: unknown;
  readonly workspace: string;
  readonly sha: string;
  readonly repository?: string;
  readonly serverUrl: string;
  readonly apiUrl: string;
  readonly startedAt: number;
}
