import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { loadCatalogue, selectProfiles } from '../../src/profiles/catalogue.js';
import { startFleet, type Fleet, type FleetMember } from '../../src/receivers/fleet.js';
import type { ReceiverLimits } from '../../src/receivers/limits.js';
import { DEFAULT_ZONE, type Naming } from '../../src/profiles/naming.js';
import type { UserCertificate } from '../../src/certs/user-certificate.js';
import { readEventLog } from '../../src/recorder/event-log.js';
import type { ReceiverEvent } from '../../src/recorder/events.js';

/** Tests listen on a high port so they run without root; each test file uses its own address block. */
export const TEST_PORT = 10025;

export interface TestFleet extends Fleet {
  member(name: string): FleetMember;
  events(): ReceiverEvent[];
}

export async function startTestFleet(options: {
  addressBase: string;
  profiles?: string[];
  limits?: Partial<ReceiverLimits>;
  /** Another zone, naming or a user certificate need their own PKI directory: the shared one is for the default zone. */
  zone?: string;
  naming?: Naming;
  userCertificate?: UserCertificate;
  certsDir?: string;
  /** Where the MTA-STS policy hosts listen (tests run without root: not 443). */
  policyPort?: number;
  /** Where the CRL hosts of revoked profiles listen (not 80, likewise). */
  crlPort?: number;
}): Promise<TestFleet> {
  const dir = mkdtempSync(join(tmpdir(), 'badmx-test-run-'));
  const fleet = await startFleet({
    profiles: selectProfiles(loadCatalogue(), options.profiles),
    zone: options.zone ?? DEFAULT_ZONE,
    certsDir: options.certsDir ?? inject('certsDir'),
    addressing: { kind: 'per-profile', base: options.addressBase, port: TEST_PORT },
    eventsFile: join(dir, 'events.jsonl'),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.naming ? { naming: options.naming } : {}),
    ...(options.userCertificate ? { userCertificate: options.userCertificate } : {}),
    ...(options.policyPort ? { policyPort: options.policyPort } : {}),
    ...(options.crlPort ? { crlPort: options.crlPort } : {}),
  });
  return Object.assign(fleet, {
    member(name: string): FleetMember {
      const found = fleet.members.find((m) => m.name === name);
      if (!found) throw new Error(`no profile ${name} in the test fleet`);
      return found;
    },
    events(): ReceiverEvent[] {
      return readEventLog(fleet.eventsFile).events;
    },
  });
}

/** Events of the connection whose peer used this local port (how a test finds its own connection). */
export function connectionByPeerPort(events: ReceiverEvent[], peerPort: number): ReceiverEvent[] {
  const connect = events.find((e) => e.type === 'connect' && e.peer.port === peerPort);
  if (!connect) throw new Error(`no connection from port ${peerPort}`);
  return events.filter((e) => e.conn === connect.conn);
}

/** Wait until the log holds an event matching the predicate (receivers record asynchronously to the client). */
export async function waitForEvent(
  fleet: TestFleet,
  predicate: (event: ReceiverEvent) => boolean,
  timeoutMs = 5_000,
): Promise<ReceiverEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = fleet.events().find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error('timed out waiting for a receiver event');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
