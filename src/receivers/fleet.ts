import { createServer, type Server, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { ensurePki, type Pki, type ServedCredentials } from '../certs/pki.js';
import { chooseServedCertificate, servedCertificateWarning, type ServedCertificate, type ServedChoice } from '../certs/served-certificate.js';
import type { UserCertificate } from '../certs/user-certificate.js';
import type { TlsaPublication } from '../certs/tlsa.js';
import { servedTlsa } from '../certs/served-tlsa.js';
import { BadmxError } from '../errors.js';
import { writeAtomic } from '../files/write-atomic.js';
import { PeerEventBudget } from '../recorder/event-budget.js';
import { EventLog } from '../recorder/event-log.js';
import { SOFTWARE } from '../version.js';
import { listenAddress, type Addressing } from '../profiles/addressing.js';
import { DEFAULT_LIMITS, type ReceiverLimits } from './limits.js';
import { MessageStore } from './message-store.js';
import { checkCanDrop, dropPrivileges, resolveRunAs } from './drop-privileges.js';
import { checkProfileNames, DEFAULT_NAMING, isPublicZone, profileNames, type Naming } from '../profiles/naming.js';
import { MAILBOX_NAME, mailboxDomain, mailboxListenAddress, mailboxNames, mailboxProfile, mailboxPublishedAddress } from '../profiles/mailbox.js';
import type { Profile } from '../profiles/profile-schema.js';
import { createReceiver, type Receiver } from './receiver.js';
import { profileInPhase } from '../profiles/profile-phases.js';
import { startPolicyServers, type PolicyServers } from './policy-server.js';
import { stsPublication, type StsPublication } from '../profiles/mta-sts-policy.js';
import { policyCredentialsKey, sniDefaultCredentialsKey } from '../certs/cert-plan.js';
import { namesCover } from '../certs/name-coverage.js';
import { ReceiverContext } from './receiver-context.js';
import { RevocationSigner } from '../certs/revocation.js';
import { CRL_DEFAULT_PORT, revocationPublication, type RevocationPublication } from '../profiles/revocation.js';
import { startCrlServers, type CrlServers } from './crl-server.js';

/** How long a client turned away between steps may take to read the 421. */
const REFUSAL_LINGER_MS = 2_000;

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
  /** How profiles are named (default nested; flat for one `*.<zone>` certificate in public mode). */
  naming?: Naming;
  /** The operator's certificate (--cert/--key), served where it fits (served-certificate.ts). */
  userCertificate?: UserCertificate | null;
  /** Once everything listens and the log is open, setuid/setgid to this user (needs root); null keeps the current user. */
  runAs?: string | null;
  /** More that must stay writable after privileges are dropped (a run's directory and journal). */
  writable?: { dirs: string[]; files: string[] };
  /**
   * The port the MTA-STS policy hosts listen on (default 443, the only one RFC 8461 §3.3
   * senders use; another port only reaches senders that can be told it).
   */
  policyPort?: number;
  /**
   * The port the CRL hosts of revoked profiles listen on (default 80, what their leaves'
   * `http://` distribution points mean; another port only reaches clients told it).
   */
  crlPort?: number;
  /** Called once every listener is ready, before privileges are dropped (a manifest may need to be written where only root can). */
  onReady?: (fleet: Fleet) => void;
}

export interface FleetMember {
  name: string;
  title: string;
  tests: string;
  hostname: string;
  domain: string;
  address: string;
  port: number;
  /** Which certificate it presents, and how the user's certificate covers its names. */
  served: ServedCertificate;
  /** What it declares by MTA-STS and TLS-RPT, or null. */
  sts: StsPublication | null;
  /** The TLSA records it publishes (DANE), computed from the chain it serves, or null. */
  tlsa: TlsaPublication | null;
  /** Where its revoked leaf's CRL is published (certificate.revoked), or null. */
  revocation: RevocationPublication | null;
}

export interface Fleet {
  zone: string;
  caFile: string;
  eventsFile: string;
  messagesDir: string;
  pki: Pki;
  members: FleetMember[];
  /**
   * The probes' own domain (mailbox.ts): its names, and where its MX points. `listening` is
   * its own receiver's address, or null where the profiles' receivers take its mail.
   */
  mailbox: { domain: string; hostname: string; address: string; listening: { address: string; port: number } | null };
  naming: Naming;
  /** A zone outside the special-use TLDs: receivers on the internet, senders that trust only public roots. */
  publicZone: boolean;
  /** Lines to say before anything runs (the user's certificate, where the test root is served instead): one each. */
  warnings: string[];
  log: EventLog;
  /** The MTA-STS policy hosts' listeners (none when no profile declares a policy). */
  policyHosts: PolicyServers['listening'];
  /** The CRL hosts' listeners (none when no profile's leaf is revoked, or when they could not listen: then a warning says so). */
  crlHosts: CrlServers['listening'];
  /** With shared addressing: the one profile listening now, or null. Otherwise null (all listen). */
  readonly live: string | null;
  /**
   * Shared addressing: make this profile the one listening on the shared address (the one
   * before stops first), or none. A no-op for the other addressings, where all listen.
   */
  activate(name: string | null): Promise<void>;
  /**
   * A multi-phase profile (profiles/profile-phases.ts) moves to `phase` (1-based): its receiver
   * is replaced by one that behaves as the phase says, on the same address, and its policy host
   * answers or not. Connections still open finish with the receiver they began with.
   */
  setPhase(name: string, phase: number): Promise<void>;
  stop(): Promise<void>;
}

/** Start every profile's receiver; resolves once all of them listen. */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const { profiles, zone } = options;
  const naming = options.naming ?? DEFAULT_NAMING;
  const user = options.userCertificate ?? null;
  checkProfileNames(profiles, zone, naming);
  // Resolved and checked before anything listens: a drop that cannot happen is a setup error, not a surprise later.
  const runAs = options.runAs ? await resolveRunAs(options.runAs) : null;
  if (runAs) checkCanDrop(runAs);
  const mailboxListen = mailboxListenAddress(options.addressing);
  const mailboxDomainName = mailboxDomain(zone);
  // The mailbox's certificate comes from the same PKI, valid for its names, so a strict sender can deliver its bounce.
  // Held until the fleet stops: no other badmx may replace this PKI's root under it (pki-lease.ts).
  const pki = await ensurePki({ dir: options.certsDir, zone, profiles: mailboxListen ? [...profiles, mailboxProfile()] : profiles, naming, hold: true });
  const limits: ReceiverLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const eventsFile = resolve(options.eventsFile);
  const messagesDir = join(dirname(eventsFile), 'messages');
  const log = new EventLog(eventsFile, { maxBytes: limits.maxEventLogBytes });
  const messages = new MessageStore(messagesDir, dirname(eventsFile), limits.maxStoredMessageBytes);
  messages.onFull = () => log.append({ type: 'store-full', profile: '', conn: '', maxBytes: limits.maxStoredMessageBytes });
  // One per-peer event budget for the fleet, as there is one log.
  const eventBudget = new PeerEventBudget(limits.maxRoutineEventsPerPeerPerHour);

  const members: FleetMember[] = [];
  const receivers: Receiver[] = [];
  const contexts: ReceiverContext[] = [];
  // Every receiver, the probes' mailbox included, records to the same log and accepts mail for the probes' domain.
  const newContext = (profile: Profile, names: { hostname: string; domain: string }): ReceiverContext => {
    const context = new ReceiverContext({ profile, ...names, limits, log, messages, software: SOFTWARE, mailboxDomain: mailboxDomainName, eventBudget });
    contexts.push(context);
    return context;
  };
  const choices: { profile: string; choice: ServedChoice }[] = [];
  // One signer per revoked leaf, shared by its receivers (every phase) and its CRL host.
  const signers = new Map([...pki.revoked].map(([name, leaf]) => [name, new RevocationSigner(leaf)] as const));
  for (const profile of profiles) {
    const { address, port } = listenAddress(options.addressing, profile.slot);
    const names = profileNames(profile, zone, naming);
    const choice = chooseServedCertificate(profile, names, user);
    choices.push({ profile: profile.name, choice });
    const context = newContext(profile, names);
    const credentials = choice.source === 'user' && user ? userCredentials(profile.name, user) : pki.credentials.get(profile.name);
    receivers.push(createReceiver(context, credentials, pki.credentials.get(sniDefaultCredentialsKey(profile.name)), signers.get(profile.name)));
    const served: ServedCertificate = { source: choice.source, coversMx: choice.coversMx, coversDomain: choice.coversDomain };
    const sts = stsPublication(profile.mtaSts, names, address);
    const tlsa = servedTlsa(profile, names, pki, user);
    const revocation = revocationPublication(profile.certificate, names, address);
    members.push({ name: profile.name, title: profile.title, tests: profile.tests, hostname: context.hostname, domain: context.domain, address, port, served, sts, tlsa, revocation });
  }
  const mailboxHostname = mailboxNames(zone, naming).hostname;
  // Its own receiver: started with the others, but no member of the matrix (run.json's profiles are the catalogue's).
  let mailboxReceiver: Receiver | null = null;
  if (mailboxListen) {
    const context = newContext(mailboxProfile(), { hostname: mailboxHostname, domain: mailboxDomainName });
    mailboxReceiver = createReceiver(context, pki.credentials.get(MAILBOX_NAME));
  }
  const mailbox = { domain: mailboxDomainName, hostname: mailboxHostname, address: mailboxPublishedAddress(options.addressing), listening: mailboxListen };
  const publicZone = isPublicZone(zone);
  const servedWarning = servedCertificateWarning({ choices, user, publicZone, zone, naming });
  // The policy hosts need names of their own (mta-sts.<domain>, RFC 8461 §3.3): one the user's
  // certificate does not name serves the test root, which no sender on the internet trusts.
  const uncovered = user ? members.filter((m) => m.sts?.spec.policy === 'served' && !namesCover(user.dnsNames, m.sts.policyHost)).map((m) => m.sts?.policyHost) : [];
  const policyWarning =
    uncovered.length > 0
      ? `the certificate (--cert) does not name the MTA-STS policy host${uncovered.length === 1 ? '' : 's'} ${uncovered.join(', ')}: ${uncovered.length === 1 ? 'it serves' : 'they serve'} the test root's certificate, so senders that do not trust it cannot fetch the policy (as at sts-policy-bad-certificate)`
      : null;
  const warnings = [...(user?.warnings ?? []), ...(servedWarning ? [servedWarning] : []), ...(policyWarning ? [policyWarning] : [])];

  let policyServers: PolicyServers | null = null;
  let crlServers: CrlServers | null = null;
  const stopReceivers = async (): Promise<void> => {
    await policyServers?.close();
    await crlServers?.close();
    await Promise.all([...receivers, ...(mailboxReceiver ? [mailboxReceiver] : [])].map((receiver) => receiver.close()));
    // The last connections record their close (and any cut-off handshake or message) before the log closes.
    await Promise.all(contexts.map((context) => context.whenIdle(CLOSE_GRACE_MS)));
    log.close();
    pki.release();
  };
  const shared = options.addressing.kind === 'shared';
  let live: string | null = null;
  // Shared addressing: one listener, bound once (so privileges can be dropped after it), that
  // hands each connection to the live profile's receiver. Between steps nobody is live, and a
  // connection gets a 421 (RFC 5321 §3.8: service not available, try again later).
  let sharedListener: Server | null = null;
  const sharedSockets = new Set<Socket>();
  const activate = async (name: string | null): Promise<void> => {
    if (!shared || name === live) return;
    const current = live === null ? -1 : members.findIndex((m) => m.name === live);
    live = null;
    if (current >= 0) {
      await receivers[current]!.close();
      await contexts[current]!.whenIdle(CLOSE_GRACE_MS);
    }
    if (name === null) return;
    const next = members.findIndex((m) => m.name === name);
    if (next < 0) throw new BadmxError(`no profile "${name}" in this fleet`, 'EUSAGE');
    receivers[next]!.attach(members[next]!.address, members[next]!.port);
    live = name;
  };
  // A multi-phase profile swaps its receiver between phases (setPhase), after privileges may have
  // been dropped: so its address is bound once, here, by the fleet, and each connection is handed
  // to whichever receiver is the current phase's, as on the shared address.
  const owned: Server[] = [];
  const ownedSockets = new Set<Socket>();
  const listenOwned = (index: number): Promise<void> => {
    const member = members[index] as FleetMember;
    const server = createServer((socket) => {
      ownedSockets.add(socket);
      socket.once('close', () => ownedSockets.delete(socket));
      receivers[index]?.accept(socket);
    });
    owned.push(server);
    return new Promise<void>((resolveListen, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new BadmxError(`profile ${member.name} cannot listen on ${member.address}:${member.port}: ${error.code ?? error.message}`, 'ELISTEN')),
      );
      server.listen(member.port, member.address, () => {
        server.on('error', () => undefined);
        receivers[index]?.attach(member.address, member.port);
        resolveListen();
      });
    });
  };
  if (options.addressing.kind === 'shared') {
    const { address, port } = options.addressing;
    sharedListener = createServer((socket) => {
      const index = live === null ? -1 : members.findIndex((m) => m.name === live);
      sharedSockets.add(socket);
      socket.once('close', () => sharedSockets.delete(socket));
      if (index < 0) {
        socket.on('error', () => undefined);
        // Read (and drop) what the client sends, or a client that never closes keeps the socket.
        socket.resume();
        socket.end('421 4.3.2 no receiver profile is live right now, try again later\r\n');
        setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
        return;
      }
      receivers[index]!.accept(socket);
    });
    const listener = sharedListener;
    try {
      await new Promise<void>((resolveListen, reject) => {
        listener.once('error', (error: NodeJS.ErrnoException) =>
          reject(
            new BadmxError(
              `the shared address ${address}:${port} cannot be listened on: ${error.code ?? error.message}${
                error.code === 'EACCES' ? ' (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : ''
              }`,
              'ELISTEN',
            ),
          ),
        );
        listener.listen(port, address, () => resolveListen());
      });
    } catch (error) {
      await stopReceivers();
      throw error;
    }
    listener.on('error', () => undefined);
  } else {
    const started = await Promise.allSettled([
      ...receivers.map((receiver, i) =>
        profiles[i]?.phases?.length ? listenOwned(i) : receiver.listen(members[i]!.address, members[i]!.port),
      ),
      ...(mailboxReceiver && mailboxListen ? [mailboxReceiver.listen(mailboxListen.address, mailboxListen.port)] : []),
    ]);
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) {
      for (const server of owned) server.close();
      await stopReceivers();
      throw failed.reason;
    }
  }
  const phaseOf = new Map<string, number>();
  const setPhase = async (name: string, phase: number): Promise<void> => {
    const index = members.findIndex((m) => m.name === name);
    const profile = profiles[index];
    if (index < 0 || !profile) throw new BadmxError(`no profile "${name}" in this fleet`, 'EUSAGE');
    if ((phaseOf.get(name) ?? 1) === phase) return;
    const phased = profileInPhase(profile, phase);
    const member = members[index] as FleetMember;
    const old = receivers[index] as Receiver;
    const oldContext = contexts[contexts.indexOf(old.context)];
    const context = newContext(phased, { hostname: member.hostname, domain: member.domain });
    const credentials = choices[index]?.choice.source === 'user' && user ? userCredentials(profile.name, user) : pki.credentials.get(profile.name);
    const next = createReceiver(context, credentials, pki.credentials.get(sniDefaultCredentialsKey(profile.name)), signers.get(profile.name));
    // The next phase's receiver takes new connections at once (the listener is the fleet's, bound
    // at start: no re-binding after privileges were dropped); the old one finishes its sessions.
    if (!shared || live === name) next.attach(member.address, member.port);
    receivers[index] = next;
    phaseOf.set(name, phase);
    await old.close();
    await oldContext?.whenIdle(CLOSE_GRACE_MS);
    const policy = phased.mtaSts?.policy;
    if (policy === 'served' || policy === 'unreachable') policyServers?.setPolicy(name, policy);
  };
  const policyHosts = members.flatMap((m) =>
    m.sts ? [{ profile: m.name, publication: m.sts, address: m.address, credentials: policyCredentials(m.name, m.sts, pki, user) }] : [],
  );
  if (policyHosts.length > 0) {
    try {
      policyServers = await startPolicyServers({ hosts: policyHosts, port: options.policyPort ?? DEFAULT_POLICY_PORT, log, runDir: dirname(eventsFile) });
    } catch (error) {
      sharedListener?.close();
      await stopReceivers();
      throw error;
    }
  }
  // The CRL hosts: a revoked profile is still one without them (its receiver staples the OCSP
  // response that says so), so one that cannot listen (port 80 without root) is a warning, not a failure.
  // What run.json says of each CRL host: whether it listened.
  const setCrlServed = (profile: string, served: boolean): void => {
    const member = members.find((m) => m.name === profile);
    if (member?.revocation) member.revocation = { ...member.revocation, served };
  };
  const crlHosts = members.flatMap((m) => {
    const signer = signers.get(m.name);
    return m.revocation && signer ? [{ profile: m.name, publication: m.revocation, signer }] : [];
  });
  if (crlHosts.length > 0) {
    try {
      crlServers = await startCrlServers({ hosts: crlHosts, port: options.crlPort ?? CRL_DEFAULT_PORT, log });
      for (const host of crlHosts) setCrlServed(host.profile, true);
    } catch (error) {
      for (const host of crlHosts) setCrlServed(host.profile, false);
      warnings.push(`${error instanceof Error ? error.message : String(error)}: the CRL of ${crlHosts.map((h) => h.profile).join(', ')} is not served (their receivers still staple the OCSP response)`);
    }
  }
  const stop = async (): Promise<void> => {
    const listener = sharedListener;
    sharedListener = null;
    // Stop accepting; the listener's own close waits for every socket it ever accepted, so
    // the receivers close their sessions (grace, then 421) and what is left is destroyed.
    listener?.close();
    for (const server of owned) server.close();
    await stopReceivers();
    for (const socket of [...sharedSockets, ...ownedSockets]) socket.destroy();
  };
  const fleet: Fleet = {
    zone,
    caFile: pki.caFile,
    eventsFile,
    messagesDir,
    pki,
    members,
    mailbox,
    naming,
    publicZone,
    warnings,
    log,
    policyHosts: policyServers?.listening ?? [],
    crlHosts: crlServers?.listening ?? [],
    get live() {
      return live;
    },
    activate,
    setPhase,
    stop,
  };
  try {
    options.onReady?.(fleet);
    // Everything that needs root is done: the listeners are bound, the log is open, the keys are read.
    if (runAs) {
      // The log's own directory, if the log created it, is owner-only (0700): the user must own it to reach messages/ in it.
      const ownDir = log.createdDir ? [log.createdDir] : [];
      dropPrivileges(runAs, { dirs: [...(options.writable?.dirs ?? []), messagesDir], files: [...(options.writable?.files ?? []), ...ownDir, eventsFile] });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return fleet;
}

/** The port RFC 8461 §3.3 fixes for policy hosts: `https://mta-sts.<domain>/…`, so 443. */
export const DEFAULT_POLICY_PORT = 443;

/**
 * A policy host's certificate: none for an unreachable host; the test PKI's self-signed one
 * where the profile says `bad-certificate`; else the user's certificate where it names the
 * policy host (public mode), or the test PKI's.
 */
function policyCredentials(profile: string, publication: StsPublication, pki: Pki, user: UserCertificate | null): ServedCredentials | null {
  if (publication.spec.policy === 'unreachable') return null;
  if (publication.spec.policy === 'served' && user && namesCover(user.dnsNames, publication.policyHost)) {
    return userCredentials(policyCredentialsKey(publication.policyHost), user);
  }
  return pki.credentials.get(policyCredentialsKey(profile)) ?? null;
}

/** The user's certificate as a profile serves it (tls-context.ts takes either source alike). */
function userCredentials(profile: string, user: UserCertificate): ServedCredentials {
  return { profile, keyPem: user.keyPem, chainPem: user.chainPem, chainFile: user.certFile, keyFile: user.keyFile, chainLength: user.chainLength };
}

/** The machine-readable description of a running fleet, for harnesses and other tools. */
export function fleetManifest(fleet: Fleet): object {
  return {
    zone: fleet.zone,
    naming: fleet.naming,
    caFile: fleet.caFile,
    events: fleet.eventsFile,
    mailbox: fleet.mailbox,
    messages: fleet.messagesDir,
    profiles: fleet.members.map((m) => ({
      name: m.name,
      hostname: m.hostname,
      domain: m.domain,
      address: m.address,
      port: m.port,
      title: m.title,
      served: m.served,
    })),
  };
}

export function writeManifest(file: string, fleet: Fleet): void {
  // Atomic: a tool polling for the file sees all of it, and only once every listener is ready.
  writeAtomic(file, `${JSON.stringify(fleetManifest(fleet), null, 2)}\n`);
}
