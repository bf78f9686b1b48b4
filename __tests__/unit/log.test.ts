import { describe, expect, it } from 'vitest';
import { heldLogger, inert, type Logger } from '../../src/log.js';

// What the runner does with a stdout line (actions/runner ActionCommand.TryParseV2): after leading
// spaces, `::name ...::data` is a command, unless a `::stop-commands::TOKEN` line came before and its
// `::TOKEN::` line has not come yet.
function commandsRun(stdout: string): string[] {
  const run: string[] = [];
  let stoppedUntil: string | undefined;
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (stoppedUntil !== undefined) {
      if (line === `::${stoppedUntil}::`) stoppedUntil = undefined;
      continue;
    }
    const command = /^::([^\s:]+)[^:]*::(.*)$/.exec(line);
    if (!command) continue;
    if (command[1] === 'stop-commands') stoppedUntil = command[2];
    else run.push(command[1]!);
  }
  return run;
}

describe('log lines from servers and pushers', () => {
  it('leaves one-line text as it is', () => {
    expect(inert('prod: 3/3 DAGs agree after 2 s')).toBe('prod: 3/3 DAGs agree after 2 s');
    expect(inert('a::b is not a command')).toBe('a::b is not a command');
  });

  it('fences text with a line the runner would run, so none of it runs and all of it shows', () => {
    const hostile = 'Traceback (most recent call last):\n  ::add-mask::hunter2\n::error file=x.py::forged\r\n##[warning]old style';
    const written = inert(hostile);
    expect(commandsRun(`${hostile}\n`)).toEqual(['add-mask', 'error']);
    expect(commandsRun(`${written}\nafter\n`)).toEqual([]);
    expect(written).toContain(hostile);
    // Commands after the fence run again.
    expect(commandsRun(`${written}\n::group::next\n`)).toEqual(['group']);
  });

  it('picks a token the text does not contain, so the text cannot end the fence', () => {
    const tokens = ['abc', 'def'];
    const written = inert('x\n::abc::\n::error::forged', () => tokens.shift()!);
    expect(written.startsWith('::stop-commands::def\n')).toBe(true);
    expect(commandsRun(written)).toEqual([]);
  });
});

describe('a held logger (work that runs beside a logging stage)', () => {
  function recording(): { log: Logger; lines: string[] } {
    const lines: string[] = [];
    const log: Logger = {
      info: (message) => lines.push(message),
      debug: (message) => lines.push(`debug ${message}`),
      warning: (message) => lines.push(`warning ${message}`),
      group: async (name, work) => {
        lines.push(`group ${name}`);
        try {
          return await work();
        } finally {
          lines.push('endgroup');
        }
      },
    };
    return { log, lines };
  }

  it('writes debug lines at once and the rest when replayed, in order, in their groups', async () => {
    const { log, lines } = recording();
    const held = heldLogger(log);
    const result = await held.log.group('Discover', async () => {
      held.log.info('a');
      held.log.debug('b');
      return 7;
    });
    held.log.warning('c');
    log.info('meanwhile');
    expect(result).toBe(7);
    expect(lines).toEqual(['debug b', 'meanwhile']);
    await held.replay();
    expect(lines).toEqual(['debug b', 'meanwhile', 'group Discover', 'a', 'endgroup', 'warning c']);
  });

  it('keeps the lines of a group whose work failed', async () => {
    const { log, lines } = recording();
    const held = heldLogger(log);
    await expect(
      held.log.group('Discover', async () => {
        held.log.info('asked');
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    held.log.info('after');
    await held.replay();
    expect(lines).toEqual(['group Discover', 'asked', 'endgroup', 'after']);
  });
});
