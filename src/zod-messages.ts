// The schemas every run checks before anything else (the event payload, the config file) are
// written with zod/mini: it loads in a fraction of the time of the full zod API (about 30 ms
// against 200 ms on a busy 2-core machine), which only the Airflow and Dagster clients load, when
// a run talks to them. zod/mini has no messages of its own: English is set here, as full zod does.
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());
