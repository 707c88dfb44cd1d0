import { describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/cli.js';

const COMMANDS = ['demo', 'run', 'serve', 'exec', 'status', 'ca', 'profiles', 'received', 'tlsrpt', 'zone', 'schema'];

describe('each command\'s --help', () => {
  it.each(COMMANDS)('%s --help: its own options, then two examples of it', async (name) => {
    const { exitCode, stdout } = await runInProcess([name, '--help']);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: badmx ${name} `));
    const examples = stdout.split('\nExamples:\n')[1]?.trimEnd().split('\n') ?? [];
    expect(examples).toHaveLength(2);
    for (const line of examples) expect(line).toMatch(new RegExp(`^  (sudo |watch -n 60 )?badmx ${name}\\b`));
    // Only its own options: never another command's, nor the program's.
    expect(stdout).not.toMatch(/--version/);
  });

  it('run lists the sender forms; demo, which picks its own senders, neither them nor --sender nor --config (which it refuses)', async () => {
    const run = (await runInProcess(['run', '--help'])).stdout;
    expect(run).toContain('Sender forms (--sender):');
    for (const form of ['builtin:strict', 'smtp:HOST[:PORT]', 'postfix:may', 'exim:default', 'command:CMD']) expect(run).toContain(form);
    expect(run).toContain('--config <file>');
    const demo = (await runInProcess(['demo', '--help'])).stdout;
    expect(demo).not.toMatch(/--sender|Sender forms|--config|--resume/);
    expect(demo).toMatch(/--wait <duration>[\s\S]*\(default: "15s"\)/);
    const refused = await runInProcess(['demo', '--config', 'x.json']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toBe('badmx: badmx demo runs on this machine with the built-in senders; for public mode use badmx run --config');
  });

  it('serve has no run options', async () => {
    const serve = (await runInProcess(['serve', '--help'])).stdout;
    expect(serve).not.toMatch(/--sender|--policy|--wait|--format/);
    expect(serve).toContain('--quiet');
  });
});
