import { randomBytes } from 'node:crypto';
import { recipientDomain } from '../profiles/naming.js';
import { rfc5322Date } from '../receivers/received-header.js';

/** One probe message: what one sender is asked to deliver to one profile. */
export interface Probe {
  /** `<run>-<n>`: unique within the run, and in the recipient and the Message-ID. */
  id: string;
  run: string;
  n: number;
  sender: string;
  profile: string;
  /** probe-<run>-<n>@<the profile's recipient domain> (<profile>.<zone> under the default naming) */
  recipient: string;
  /**
   * Envelope and header sender: unique per probe, so a relay's delivery names its probe in MAIL
   * FROM too, and bounces come back to it. Its random token makes it unguessable from the
   * run id, so a bounce for the probe cannot be forged by someone who only saw a recipient.
   */
  from: string;
  messageId: string;
  subject: string;
  /** For a multi-phase profile: the phase this probe is sent in (absent: 1, the only one of most profiles). */
  phase?: number;
}

/** A short run id: lower-case base-36, safe in a local part and a Message-ID. */
export function newRunId(): string {
  return BigInt(`0x${randomBytes(6).toString('hex')}`).toString(36).padStart(9, '0').slice(-9);
}

export function makeProbe(
  run: string,
  n: number,
  sender: string,
  profile: string,
  zone: string,
  domain: string = recipientDomain(profile, zone),
  token: string = randomBytes(4).toString('hex'),
): Probe {
  const id = `${run}-${n}`;
  return {
    id,
    run,
    n,
    sender,
    profile,
    recipient: `probe-${id}@${domain}`,
    from: `badmx-${id}-${token}@probes.${zone}`,
    messageId: `<probe-${id}@probes.${zone}>`,
    subject: `badmx probe ${id}: ${sender} -> ${profile}`,
  };
}

/**
 * The probe as an RFC 5322 message. The body imitates the mail being protected (a
 * clinical notice with a patient name, a date of birth and a diagnosis), so that what a
 * sender leaks is visibly the kind of thing it must not leak, yet every value is
 * synthetic and says so.
 */
export function probeMessage(probe: Probe, date: Date = new Date()): string {
  const lines = [
    `From: badmx probe <${probe.from}>`,
    `To: <${probe.recipient}>`,
    `Subject: ${probe.subject}`,
    `Date: ${rfc5322Date(date)}`,
    `Message-ID: ${probe.messageId}`,
    `X-Badmx-Probe: ${probe.id}; sender=${probe.sender}; profile=${probe.profile}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 7bit',
    '',
    'SYNTHETIC TEST MESSAGE - contains no real patient data.',
    '',
    'Clinic notice for: Jane Q. Testpatient (synthetic)',
    'Date of birth: 1970-01-01 (synthetic)',
    'Medical record number: MRN-000000-TEST',
    'Diagnosis: E11.9 Type 2 diabetes mellitus without complications (example code)',
    'Next appointment: 2026-12-01 09:30, Dr. Example',
    '',
    `This message is badmx probe ${probe.id}. If a sender delivered it in plaintext, so it would`,
    'have delivered a real record.',
    '',
  ];
  return lines.join('\r\n');
}
