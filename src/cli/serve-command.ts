import { ensureZoneKey } from '../dns/dnssec.js';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { onAbort, type CliContext, type CliIo } from './cli-io.js';
import { startDnsServer, type DnsServer } from '../dns/dns-server.js';
import { listenAddress, parseIP, parseIPv4, parsePort, type Addressing } from '../profiles/addressing.js';
import { startFleet, writeManifest, type Fleet } from '../receivers/fleet.js';
import { mailboxNames, mailboxPublishedAddress } from '../profiles/mailbox.js';
import { profileNames } from '../profiles/naming.js';
import { harnessZone, type ZoneSource } from '../run/harness-zone.js';
import { revocationPublication } from '../profiles/revocation.js';
import { stsPublication } from '../profiles/mta-sts-policy.js';
import { DEFAULT_DNS } from '../run/run-matrix.js';
import { addFleetSelectionOptions, normalizeFleetSelection, type FleetSelection, type FleetSelectionFlags } from './common-options.js';
import { activityLine } from './activity.js';
import { onBrokenPipe } from './broken-pipe.js';
import { formatTable } from './table.js';
import { explainListenError } from './listen-hint.js';
import { addExamples } from './help-text.js';
import { DATA_DEFAULT_TEXT, defaultDataDir, stampedName } from './user-dirs.js';

interface ServeFlags extends FleetSelectionFlags {
  addressBase: string;
  port: string;
  portRange?: string;
  address: string;
  events?: string;
  manifest?: string;
  quiet?: boolean;
  runAs?: string;
  dns?: string;
}

export function registerServeCommand(program: Command, { io }: CliContext): void {
  const serve = addFleetSelectionOptions(
    program
      .command('serve')
      .description('start every receiver profile (local mode) and record what senders do, until SIGINT or SIGTERM')
      .option('--address-base <ip>', 'each profile listens on this address plus its slot (127.0.2.N)', '127.0.2.0')
      .option('--port <port>', 'port every profile listens on', '25')
      .option('--port-range <first>', 'instead: all profiles on --address, profile N on port <first>+N-1 (no root needed)')
      .option('--address <ip>', 'the single address for --port-range', '127.0.0.1')
      .option('--events <file>', `append-only event log (JSON Lines); messages are kept in messages/ beside it (default: <data>/serve-<time>/events.jsonl, where <data> is ${DATA_DEFAULT_TEXT})`)
      .option('--manifest <file>', 'write a JSON manifest of the fleet once every listener is ready')
      .option('--quiet', 'do not print a line per TLS outcome and message')
      .option('--run-as <user>', 'once every listener is bound and the log is open, drop root and run as this user (alternative: CAP_NET_BIND_SERVICE)')
      .option('--dns <ip>', `also serve the harness DNS zone on <ip>:53 (e.g. ${DEFAULT_DNS.address}), to check a sender's resolution with badmx exec before a run`),
  );
  addExamples(serve, ['badmx serve --port 2525', 'badmx serve --port-range 2601 --profile tls1.2 expired --events /tmp/events.jsonl --quiet']).action(async (flags: ServeFlags) => {
    const selection = normalizeFleetSelection(flags, io.env);
    const addressing: Addressing = flags.portRange
      ? { kind: 'port-range', address: parseIPv4(flags.address, '--address'), firstPort: parsePort(flags.portRange, '--port-range') }
      : { kind: 'per-profile', base: parseIPv4(flags.addressBase, '--address-base'), port: parsePort(flags.port, '--port') };
    const dnsAddress = flags.dns === undefined ? null : parseIP(flags.dns, '--dns');
    const eventsFile = resolve(flags.events ?? join(defaultDataDir(io.env), stampedName('serve', new Date()), 'events.jsonl'));

    // Listen for signals before anything announces the fleet: a harness may stop us as soon as the manifest appears.
    const signalled = untilSignal(io);
    let dns: DnsServer | null = null;
    let fleet: Fleet;
    try {
      // Port 53 is bound before the fleet, so before --run-as drops root, and answers from the
      // fleet's own names once it is up (the same names and addresses, as planned).
      dns =
        dnsAddress === null
          ? null
          : await startDnsServer({
              zone: harnessZone(plannedSource(selection, addressing), dnsAddress),
              address: dnsAddress,
              port: DEFAULT_DNS.port,
              dnssec: { key: ensureZoneKey(selection.certsDir, selection.zone) },
            });
      const started = dns;
      fleet = await startFleet({
        ...selection,
        addressing,
        eventsFile,
        runAs: flags.runAs ?? null,
        // Written before root is dropped: the manifest's directory may be writable by root only.
        onReady: (ready) => {
          started?.setZone(harnessZone(fleetSource(ready, addressing), started.address));
          if (flags.manifest) writeManifest(resolve(flags.manifest), ready);
        },
      });
    } catch (error) {
      // Nothing to wait for: the signal handlers go with the command (main(argv, io) may run again in this process).
      signalled.cancel();
      await dns?.stop();
      // An address in use, or not on this machine: what to do about it.
      throw explainListenError(error, 'serve');
    }
    fleet.log.onWriteError = (error) =>
      io.stderr.write(`badmx: cannot write the event log ${fleet.eventsFile} (${error.message}); receivers keep serving, events are being lost\n`);
    for (const warning of fleet.warnings) io.stderr.write(`badmx: ${warning}\n`);
    printFleet(io, fleet);
    if (dns) io.stdout.write(`harness DNS answering on ${hostPort(dns)}\n`);
    if (flags.runAs) io.stdout.write(`running as ${flags.runAs} (uid ${process.getuid?.() ?? '?'}, gid ${process.getgid?.() ?? '?'})\n`);
    if (!flags.quiet) {
      fleet.log.subscribe((event) => {
        const line = activityLine(event);
        if (line) io.stdout.write(`${line}\n`);
      });
    }
    await signalled;
    await Promise.all([fleet.stop(), dns?.stop()]);
    io.stderr.write(`badmx: receivers${dns ? ' and harness DNS' : ''} stopped\n`);
  });
}

/**
 * What the harness zone publishes: the fleet's names and addresses, and the probes' mailbox
 * (its MX, address and SPF), so a relay that checks the probes' sender domain finds it.
 */
function fleetSource(fleet: Pick<Fleet, 'zone' | 'naming'> & { members: ZoneSource['members'] }, addressing: Addressing): ZoneSource {
  return {
    zone: fleet.zone,
    members: fleet.members,
    mailbox: { ...mailboxNames(fleet.zone, fleet.naming), address: mailboxPublishedAddress(addressing) },
  };
}

/** The same before the fleet exists: its profiles named and placed as startFleet will. */
function plannedSource(selection: FleetSelection, addressing: Addressing): ZoneSource {
  const members = selection.profiles.map((profile) => {
    const names = profileNames(profile, selection.zone, selection.naming);
    const { address } = listenAddress(addressing, profile.slot);
    return { name: profile.name, title: profile.title, ...names, address, sts: stsPublication(profile.mtaSts, names, address), revocation: revocationPublication(profile.certificate, names, address) };
  });
  return fleetSource({ zone: selection.zone, naming: selection.naming, members }, addressing);
}

function hostPort(server: DnsServer): string {
  return server.address.includes(':') ? `[${server.address}]:${server.port}` : `${server.address}:${server.port}`;
}

function printFleet(io: CliIo, fleet: Fleet): void {
  const rows = fleet.members.map((m) => [m.name, m.hostname, `${m.address}:${m.port}`, m.title]);
  const out = [
    formatTable(['profile', 'MX hostname', 'listening on', 'misconfiguration'], rows),
    '',
    `CA bundle (trust this in the sender under test): ${fleet.caFile}`,
    `events: ${fleet.eventsFile}`,
    `messages: ${fleet.messagesDir}`,
    `${fleet.members.length} receivers ready; Ctrl-C stops them.`,
  ];
  io.stdout.write(`${out.join('\n')}\n`);
}

/** Until SIGINT or SIGTERM (or the io's signal), or until nobody reads the output any more (then it stops the same way and exits 141: main.ts). */
function untilSignal(io: CliIo): Promise<void> & { cancel(): void } {
  let cancel = (): void => {};
  const promise = new Promise<void>((resolveSignal) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      unregister();
      unlisten();
      resolveSignal();
    };
    const unregister = onBrokenPipe(done);
    // An embedder's stop (main(argv, io) with a signal) is a SIGTERM too.
    const unlisten = onAbort(io, done);
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    cancel = done;
  });
  return Object.assign(promise, { cancel: () => cancel() });
}


