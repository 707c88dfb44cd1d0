import type { Cell, RunDocument, RunProfile, RunSender } from '../document/run-document.js';
import { SUITES, type Suite } from '../profiles/profile-schema.js';
import { hasValidCertificate } from '../profiles/profile-role.js';

/**
 * The matrix every report draws: receiver states grouped by what is wrong with them, one
 * column per sender. Grouping is derived from the profile's data, so a profile added to
 * receivers/ lands in the right group without code. Groups sit in suites (the question a
 * profile asks): a run of the study's profiles alone is one suite, drawn as it always was.
 */
export type ProfileGroup = 'transport' | 'tls-version' | 'certificate' | 'sts-enforce' | 'sts-testing' | 'sts-unfetchable' | 'dane-secure' | 'dane-unusable';

export const GROUP_TITLES: Record<ProfileGroup, string> = {
  transport: 'STARTTLS',
  'tls-version': 'TLS version',
  certificate: 'Certificate',
  'sts-enforce': 'MTA-STS policy enforced',
  'sts-testing': 'MTA-STS policy in testing mode',
  'sts-unfetchable': 'MTA-STS policy not fetchable',
  'dane-secure': 'DANE TLSA records, DNSSEC-validated',
  'dane-unusable': 'DANE TLSA records that fail validation or are unsigned',
};

const GROUP_ORDER: ProfileGroup[] = ['transport', 'tls-version', 'certificate', 'sts-enforce', 'sts-testing', 'sts-unfetchable', 'dane-secure', 'dane-unusable'];

/** A heading per suite, for reports that show more than the study's. */
export const SUITE_TITLES: Record<Suite, string> = {
  study: "The study's receivers",
  'mta-sts': 'Receivers that declare a policy: MTA-STS (RFC 8461)',
  dane: 'Receivers that declare a policy: DANE (RFC 7672)',
  'weak-crypto': 'Weak cryptography: one weakness each, everything else valid',
  tampering: 'STARTTLS tampered with on the path',
};

/** The question each suite asks, in one line under its heading. */
export const SUITE_QUESTIONS: Record<Suite, string> = {
  study: 'The Paubox study\'s misconfigured receivers, none of which declares a policy: does the sender check what it is given?',
  'mta-sts': 'Each domain publishes an MTA-STS policy (its mode, its MX patterns and its policy host vary): does the sender fetch it and honour it?',
  dane: 'Each MX host publishes TLSA records in the DNSSEC-signed zone (what they match, and whether they validate, vary): does the sender look them up and honour them?',
  'weak-crypto': 'Each receiver is valid but for one weakness of its key, its certificate or its key exchange: does the sender accept it?',
  tampering: 'A man in the middle answers STARTTLS with the wrong code, goes on in plaintext after 220, or refuses EHLO: does the sender go on without TLS (downgraded) or hold the mail?',
};

/** A profile's suite; a run from before suites holds the study's alone. */
export function profileSuite(profile: Pick<RunProfile, 'suite'>): Suite {
  return profile.suite ?? 'study';
}

/**
 * A profile that declares DANE: by whether its TLSA records validate. One that declares an MTA-STS policy: by what a sender fetching it finds (a policy host
 * that cannot be fetched from, else the mode); otherwise: STARTTLS missing, refused or aborted;
 * else a certificate fault; else it varies the protocol version (the controls live here too).
 */
export function profileGroup(profile: Pick<RunProfile, 'starttls' | 'certificate' | 'mtaSts' | 'dane' | 'tampering'>): ProfileGroup {
  if (profile.tampering) return 'transport';
  if (profile.dane) return profile.dane.dnssec === 'secure' ? 'dane-secure' : 'dane-unusable';
  const sts = profile.mtaSts ?? null;
  if (sts !== null) return sts.policy !== 'served' ? 'sts-unfetchable' : sts.mode === 'enforce' ? 'sts-enforce' : 'sts-testing';
  if (profile.starttls !== 'offer') return 'transport';
  return hasValidCertificate(profile) ? 'tls-version' : 'certificate';
}

export interface MatrixRow {
  profile: RunProfile;
  group: ProfileGroup;
  /** One per sender, in sender order; null when the run has no cell there (a run stopped early). */
  cells: (Cell | null)[];
}

export interface MatrixGroup {
  group: ProfileGroup;
  title: string;
  suite: Suite;
  rows: MatrixRow[];
}

export interface MatrixSuite {
  suite: Suite;
  title: string;
  question: string;
  /** Its groups, in group order. */
  groups: MatrixGroup[];
  rows: MatrixRow[];
}

export interface Matrix {
  senders: RunSender[];
  /** Every group, suite by suite. */
  groups: MatrixGroup[];
  /** All rows, in group order. */
  rows: MatrixRow[];
  /** The suites the run's profiles belong to, in suite order. */
  suites: MatrixSuite[];
  /**
   * Whether reports show a heading per suite: when the run holds more than the study's
   * profiles. A run of the study's alone is drawn as before suites existed.
   */
  bySuite: boolean;
}

export function buildMatrix(run: RunDocument): Matrix {
  const byKey = new Map(run.cells.map((cell) => [cellKey(cell.sender, cell.profile), cell]));
  const rows = run.profiles.map((profile) => ({
    profile,
    group: profileGroup(profile),
    cells: run.senders.map((sender) => byKey.get(cellKey(sender.label, profile.name)) ?? null),
  }));
  const suites = SUITES.map((suite) => {
    const inSuite = rows.filter((row) => profileSuite(row.profile) === suite);
    const groups = GROUP_ORDER.map((group) => ({ group, title: GROUP_TITLES[group], suite, rows: inSuite.filter((row) => row.group === group) })).filter(
      (g) => g.rows.length > 0,
    );
    return { suite, title: SUITE_TITLES[suite], question: SUITE_QUESTIONS[suite], groups, rows: groups.flatMap((g) => g.rows) };
  }).filter((s) => s.rows.length > 0);
  const groups = suites.flatMap((s) => s.groups);
  const bySuite = suites.some((s) => s.suite !== 'study');
  return { senders: run.senders, groups, rows: groups.flatMap((g) => g.rows), suites, bySuite };
}

function cellKey(sender: string, profile: string): string {
  return JSON.stringify([sender, profile]);
}

/** What the policy expected at a profile, in a few words. */
export function expectationLabel(expected: RunProfile['expected']): string {
  switch (expected.expect) {
    case 'delivered-tls':
      return expected.minVersion ? `deliver over ${expected.minVersion.replace(/^TLSv/, 'TLS ')}+` : 'deliver over TLS';
    case 'delivered':
      return 'deliver';
    case 'not-delivered':
      return 'do not deliver';
    case 'no-plaintext':
      return expected.minVersion ? `deliver over ${expected.minVersion.replace(/^TLSv/, 'TLS ')}+ or not at all` : 'deliver over TLS or not at all';
  }
}
