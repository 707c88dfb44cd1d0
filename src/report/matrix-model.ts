import type { Cell, RunDocument, RunProfile, RunSender } from '../document/run-document.js';

/**
 * The matrix every report draws: receiver states grouped by what is wrong with them, one
 * column per sender. Grouping is derived from the profile's data, so a profile added to
 * receivers/ lands in the right group without code.
 */
export type ProfileGroup = 'transport' | 'tls-version' | 'certificate';

export const GROUP_TITLES: Record<ProfileGroup, string> = {
  transport: 'STARTTLS',
  'tls-version': 'TLS version',
  certificate: 'Certificate',
};

const GROUP_ORDER: ProfileGroup[] = ['transport', 'tls-version', 'certificate'];

/** STARTTLS missing, refused or aborted; else a certificate fault; else it varies the protocol version (the controls live here too). */
export function profileGroup(profile: Pick<RunProfile, 'starttls' | 'certificate'>): ProfileGroup {
  if (profile.starttls !== 'offer') return 'transport';
  const c = profile.certificate;
  const valid = c.issuer === 'intermediate' && c.names === 'profile' && c.validity === 'current' && c.signature === 'sha256' && c.chain === 'with-intermediate';
  return valid ? 'tls-version' : 'certificate';
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
  rows: MatrixRow[];
}

export interface Matrix {
  senders: RunSender[];
  groups: MatrixGroup[];
  /** All rows, in group order. */
  rows: MatrixRow[];
}

export function buildMatrix(run: RunDocument): Matrix {
  const byKey = new Map(run.cells.map((cell) => [cellKey(cell.sender, cell.profile), cell]));
  const rows = run.profiles.map((profile) => ({
    profile,
    group: profileGroup(profile),
    cells: run.senders.map((sender) => byKey.get(cellKey(sender.label, profile.name)) ?? null),
  }));
  const groups = GROUP_ORDER.map((group) => ({ group, title: GROUP_TITLES[group], rows: rows.filter((row) => row.group === group) })).filter(
    (g) => g.rows.length > 0,
  );
  return { senders: run.senders, groups, rows: groups.flatMap((g) => g.rows) };
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
  }
}
