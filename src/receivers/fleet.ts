import { dirname, join, resolve } from 'node:path';
import { ensurePki, type Pki } from '../certs/pki.js';
import { BadmxError } from '../errors.js';
import { writeAtomic } from '../files/write-atomic.js';
import { EventLog } from '../recorder/event-log.js';
import { SOFTWARE } from '../version.js';
import { listenAddress, type Addressing } from './addressing.js';
import { DEFAULT_LIMITS, type ReceiverLimits } from './limits.js';
import { MessageStore } from './message-store.js';
import { mxHostname, recipientDomain } from './naming.js';
import type { Profile } from './profile-schema.js';
import { createReceiver, type Receiver } from './receiver.js';
import { ReceiverContext } from './receiver-context.js';

/** How long stop() waits for connections that smtp-server is closing to finish recording. */
const CLOSE_GRACE_MS = 3_000;

export interface FleetOptions {
  profiles: Profile[];
  zone: string;
  certsDir: string;
  addressing: Addressing;
  /** The append-only event log; messages are stored in messages/ beside it. */
  eventsFile: string;
  limits?: Partial<ReceiverLimits>;
}

export interface FleetMember {
  name: string;
  title: string;
  tests: string;
  hostname: string;
  domain: string;
  address: string;
  port: number;
}

export interface Fleet {
  zone: string;
  caFile: string;
  eventsFile: string;
  messagesDir: string;
  pki: Pki;
  members: FleetMember[];
  log: EventLog;
  /** With shared addressing: the one profile listening now, or null. Otherwise null (all listen). */
  readonly live: string | null;
  /**
   * Shared addressing: make this profile the one listening on the shared address (the one
   * before stops first), or none. A no-op for the other addressings, where all listen.
   */
  activate(name: string | null): Promise<void>;
  stop(): Promise<void>;
}

/** Start every profile's receiver; resolves once all of them listen. */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const { profiles, zone } = options;
  const pki = await ensurePki({ dir: options.certsDir, zone, profiles });
  const limits: ReceiverLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const eventsFile = resolve(options.eventsFile);
  const messagesDir = join(dirname(eventsFile), 'messages');
  const log = new EventLog(eventsFile);
  const messages = new MessageStore(messagesDir, dirname(eventsFile));

  const members: FleetMember[] = [];
  const receivers: Receiver[] = [];
  const contexts: ReceiverContext[] = [];
  for (const profile of profiles) {
    const { address, port } = listenAddress(options.addressing, profile.slot);
    const context = new ReceiverContext({
      profile,
      hostname: mxHostname(profile.name, zone),
      domain: recipientDomain(profile.name, zone),
      limits,
      log,
      messages,
      software: SOFTWARE,
    });
    contexts.push(context);
    receivers.push(createReceiver(context, pki.credentials.get(profile.name)));
    members.push({ name: profile.name, title: profile.title, tests: profile.tests, hostname: context.hostname, domain: context.domain, address, port });
  }

  const stop = async (): Promise<void> => {
    await Promise.all(receivers.map((receiver) => receiver.close()));
    // The last connections record their close (and any cut-off handshake or message) before the log closes.
    await Promise.all(contexts.map((context) => context.whenIdle(CLOSE_GRACE_MS)));
    log.close();
  };
  const shared = options.addressing.kind === 'shared';
  let live: string | null = null;
  const activate = async (name: string | null): Promise<void> => {
    if (!shared || name === live) return;
    const current = live === null ? -1 : members.findIndex((m) => m.name === live);
    if (current >= 0) {
      await receivers[current]!.close();
      await contexts[current]!.whenIdle(CLOSE_GRACE_MS);
    }
    live = null;
    if (name === null) return;
    const next = members.findIndex((m) => m.name === name);
    if (next < 0) throw new BadmxError(`no profile "${name}" in this fleet`, 'EUSAGE');
    await receivers[next]!.listen(members[next]!.address, members[next]!.port);
    live = name;
  };
  // Shared addressing: nothing listens until the schedule activates a profile.
  if (!shared) {
    const started = await Promise.allSettled(receivers.map((receiver, i) => receiver.listen(members[i]!.address, members[i]!.port)));
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) {
      await stop();
      throw failed.reason;
    }
  }
  return {
    zone,
    caFile: pki.caFile,
    eventsFile,
    messagesDir,
    pki,
    members,
    log,
    get live() {
      return live;
    },
    activate,
    stop,
  };
}

/** The machine-readable description of a running fleet, for harnesses and other tools. */
export function fleetManifest(fleet: Fleet): object {
  return {
    zone: fleet.zone,
    caFile: fleet.caFile,
    events: fleet.eventsFile,
    messages: fleet.messagesDir,
    profiles: fleet.members.map((m) => ({
      name: m.name,
      hostname: m.hostname,
      domain: m.domain,
      address: m.address,
      port: m.port,
      title: m.title,
    })),
  };
}

export function writeManifest(file: string, fleet: Fleet): void {
  // Atomic: a tool polling for the file sees all of it, and only once every listener is ready.
  writeAtomic(file, `${JSON.stringify(fleetManifest(fleet), null, 2)}\n`);
}
