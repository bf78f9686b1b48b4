// DAG files as a user writes them, for Airflow 2 or 3 (the imports moved in Airflow 3).

export interface DagSpec {
  readonly id: string;
  readonly tasks: readonly string[];
  /** `[upstream, downstream]` pairs. */
  readonly edges?: readonly (readonly [string, string])[];
  /** Extra lines at the top (imports of helper modules). */
  readonly preamble?: readonly string[];
}

export function dagFile(major: 2 | 3, spec: DagSpec): string {
  const imports =
    major === 2
      ? ['from airflow import DAG', 'from airflow.operators.empty import EmptyOperator']
      : ['from airflow.sdk import DAG', 'from airflow.providers.standard.operators.empty import EmptyOperator'];
  return [
    'import pendulum',
    ...imports,
    ...(spec.preamble ?? []),
    '',
    `with DAG(${JSON.stringify(spec.id)}, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:`,
    ...spec.tasks.map((task) => `    ${task} = EmptyOperator(task_id=${JSON.stringify(task)})`),
    ...(spec.edges ?? []).map(([up, down]) => `    ${up} >> ${down}`),
    ...(spec.tasks.length === 0 ? ['    pass'] : []),
    '',
  ].join('\n');
}
