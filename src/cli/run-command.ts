import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { BadmxError } from '../errors.js';
import { loadPolicy } from '../policy/load-policy.js';
import { parseIPv4, parsePort, type Addressing } from '../receivers/addressing.js';
import { jsonDocument } from '../report/json-document.js';
import { DEFAULT_RUN_FORMATS } from '../report/registry.js';
import { renderTerminalMatrix } from '../report/terminal-matrix.js';
import { DEFAULT_DNS, RunError, runMatrix, type RunProgress } from '../run/run-matrix.js';
import type { RunDocument } from '../run/run-document.js';
import { parseSenderSpec } from '../senders/parse-sender-spec.js';
import type { Sender } from '../senders/sender.js';
import { addFleetSelectionOptions, normalizeFleetSelection, type FleetSelectionFlags } from './common-options.js';
import { parseDuration } from './duration.js';
import { addFormatOption, parseFormatOption, writeReports } from './format-option.js';

interface RunFlags extends FleetSelectionFlags {
  sender: string[];
  format: string;
  policy: string;
  wait: string;
  out?: string;
  addressBase: string;
  port: string;
  portRange?: string;
  address: string;
  dns: string;
}

export function addRunOptions(command: Command): Command {
  return addFormatOption(addFleetSelectionOptions(command), DEFAULT_RUN_FORMATS)
    .option('--policy <name|file>', 'verdict policy: strict, opportunistic, or a policy JSON file', 'strict')
    .option('--wait <duration>', 'how long each sender gets for its probes to settle (a relay that queues and retries uses all of it)', '60s')
    .option('--out <dir>', 'run directory (default reports/run-<time>)')
    .option('--address-base <ip>', 'each profile listens on this address plus its slot', '127.0.2.0')
    .option('--port <port>', 'port every profile listens on', '25')
    .option('--port-range <first>', 'instead: all profiles on --address, profile N on port <first>+N-1')
    .option('--address <ip>', 'the single address for --port-range', '127.0.0.1')
    .option('--dns <ip>', 'where the harness DNS server listens (port 53) for senders that find receivers by MX: postfix:..., exim:...', DEFAULT_DNS.address);
}

export function registerRunCommand(program: Command): void {
  addRunOptions(
    program
      .command('run')
      .description('send a probe through each sender to every receiver profile, classify what happened, and judge it against a policy')
      .requiredOption('--sender <spec...>', 'sender under test (repeat for a side-by-side comparison)'),
  ).action(async (flags: RunFlags) => {
    const document = await executeRun(flags, flags.sender);
    if (process.exitCode !== 130) process.exitCode = document.summary.fail > 0 ? 1 : 0;
  });
}

/** Shared by run and demo: options normalized, progress shown, matrix printed, run.json and the --format reports written. */
export async function executeRun(flags: RunFlags, specs: string[]): Promise<RunDocument> {
  const selection = normalizeFleetSelection(flags);
  const policy = loadPolicy(flags.policy);
  const waitMs = parseDuration(flags.wait, '--wait');
  // run.json is always written (by the run itself); the other formats are rendered from it afterwards.
  const renderers = parseFormatOption(flags.format, { requireAvailable: true }).filter((r) => r.name !== jsonDocument.name);
  const addressing: Addressing = flags.portRange
    ? { kind: 'port-range', address: parseIPv4(flags.address, '--address'), firstPort: parsePort(flags.portRange, '--port-range') }
    : { kind: 'per-profile', base: parseIPv4(flags.addressBase, '--address-base'), port: parsePort(flags.port, '--port') };
  const senders: Sender[] = specs.map((spec) => parseSenderSpec(spec));
  const labels = senders.map((s) => s.label);
  const duplicate = labels.find((label, i) => labels.indexOf(label) !== i);
  if (duplicate) throw new BadmxError(`two senders are labelled "${duplicate}": give one a label=NAME`, 'EUSAGE');
  const outDir = resolve(flags.out ?? join('reports', `run-${new Date().toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-')}`));

  const progress = progressPrinter(process.stderr);
  // Ctrl-C ends the wait, not the run: what was recorded is classified and written, unsettled cells are marked.
  const abort = new AbortController();
  const interrupt = (): void => {
    process.stderr.write('\nbadmx: interrupted; writing what was recorded (Ctrl-C again to quit at once)\n');
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  try {
    const dns = { address: parseIPv4(flags.dns, '--dns'), port: DEFAULT_DNS.port };
    const document = await runMatrix({ ...selection, senders, policy, waitMs, addressing, dns, outDir, onProgress: progress, signal: abort.signal });
    progress.done();
    process.stdout.write(`${renderTerminalMatrix(document, { colour: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR })}\n\njson: ${join(outDir, jsonDocument.fileName)}\n`);
    // A report that fails to render is one line on stderr; the verdicts (and so the exit code) stand, and `badmx report` can retry it.
    await writeReports(document, renderers, outDir);
    if (abort.signal.aborted) process.exitCode = 130;
    return document;
  } catch (error) {
    progress.done();
    if (error instanceof RunError) {
      // What was recorded before the run stopped is still worth reading: render it, then report the error.
      await writeReports(error.document, renderers, outDir);
      throw new BadmxError(`${error.message} (recorded so far: ${join(outDir, 'run.json')})`, 'ECONFIG', { cause: error });
    }
    throw error;
  } finally {
    process.off('SIGINT', interrupt);
  }
}

/** Live progress: one updating line on a terminal, plain lines otherwise. */
function progressPrinter(stream: NodeJS.WriteStream): ((p: RunProgress) => void) & { done(): void } {
  const tty = Boolean(stream.isTTY);
  let open = false;
  const refused = new Map<string, number>();
  const print = (p: RunProgress): void => {
    switch (p.kind) {
      case 'fleet-ready':
        for (const warning of p.fleet.warnings) stream.write(`badmx: ${warning}\n`);
        stream.write(`badmx: ${p.fleet.members.length} receivers ready; CA bundle ${p.fleet.caFile}\n`);
        return;
      case 'dns-ready':
        stream.write(`badmx: harness DNS answering on ${p.address}:${p.port}\n`);
        return;
      case 'sender-start':
        stream.write(`badmx: ${p.sender}: sending ${p.probes} probes\n`);
        return;
      case 'probe-settled':
        if (tty) {
          stream.write(`\r\u001b[2Kbadmx: ${p.sender}: ${p.settled}/${p.total} settled (last: ${p.profile})`);
          open = true;
        } else {
          stream.write(`badmx: ${p.sender}: ${p.profile} settled (${p.settled}/${p.total})\n`);
        }
        return;
      case 'submission-refused': {
        // The first refusal in full (it usually says what to fix); the rest are counted.
        const count = (refused.get(p.sender) ?? 0) + 1;
        refused.set(p.sender, count);
        if (count === 1) {
          if (open) stream.write('\n');
          open = false;
          stream.write(`badmx: ${p.sender} did not accept the probe for ${p.profile}: ${p.detail}\n`);
        }
        return;
      }
      case 'sender-done': {
        if (open) stream.write('\n');
        open = false;
        const count = refused.get(p.sender) ?? 0;
        stream.write(
          `badmx: ${p.sender}: ${p.settled}/${p.total} settled${p.timedOut ? ' (deadline reached)' : ''}${count > 0 ? `; ${count} probe(s) not accepted by the sender` : ''}\n`,
        );
        return;
      }
    }
  };
  return Object.assign(print, {
    done(): void {
      if (open) stream.write('\n');
      open = false;
    },
  });
}
