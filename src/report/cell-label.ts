import type { Cell } from '../run/run-document.js';

/** What happened in a cell, in a few words that read the same with or without colour. */
export function outcomeLabel(cell: Pick<Cell, 'outcome' | 'tls' | 'alert'>): string {
  switch (cell.outcome) {
    case 'delivered-tls':
      return `TLS ${(cell.tls?.version ?? '?').replace(/^TLSv/, '')}`;
    case 'delivered-plaintext':
      return 'PLAINTEXT';
    case 'plaintext-after-tls-failure':
      return 'DOWNGRADE';
    case 'refused-before-tls':
      return 'refused (no TLS)';
    case 'refused-at-handshake':
      return cell.alert ? `refused (${cell.alert})` : 'refused (handshake)';
    case 'refused-after-handshake':
      return 'refused (after TLS)';
    case 'not-attempted':
      return 'no attempt';
  }
}

/** The verdict as a word; reports pair it with an icon so it never depends on colour. */
export function verdictLabel(cell: Pick<Cell, 'verdict'>): 'PASS' | 'FAIL' {
  return cell.verdict === 'pass' ? 'PASS' : 'FAIL';
}

/** The verdict's glyph, for text formats (Markdown, CSV-adjacent summaries). */
export function verdictGlyph(cell: Pick<Cell, 'verdict'>): '✔' | '✘' {
  return cell.verdict === 'pass' ? '✔' : '✘';
}

function tlsName(version: string | undefined): string {
  if (!version || version === 'unknown') return 'TLS (version unknown)';
  return version.replace(/^TLSv/, 'TLS ');
}

/** What happened, as a headline for the infographic and HTML: Plaintext, TLS 1.2, Refused, Downgraded → plaintext. */
export function outcomeHeadline(cell: Pick<Cell, 'outcome' | 'tls'>): string {
  switch (cell.outcome) {
    case 'delivered-tls':
      return tlsName(cell.tls?.version);
    case 'delivered-plaintext':
      return 'Plaintext';
    case 'plaintext-after-tls-failure':
      return 'Downgraded → plaintext';
    case 'refused-before-tls':
    case 'refused-at-handshake':
    case 'refused-after-handshake':
      return 'Refused';
    case 'not-attempted':
      return 'No attempt';
  }
}

/** The line under the headline: how it came to that. */
export function outcomeDetail(cell: Pick<Cell, 'outcome' | 'alert' | 'evidence'>): string {
  switch (cell.outcome) {
    case 'delivered-tls':
      return 'delivered';
    case 'delivered-plaintext':
      return 'TLS never tried';
    case 'plaintext-after-tls-failure': {
      if (cell.alert) return `after ${cell.alert}`;
      const refused = cell.evidence.find((c) => c.starttls !== null && c.starttls !== 220);
      return refused ? `after STARTTLS ${refused.starttls}` : 'after TLS failed';
    }
    case 'refused-before-tls':
      return 'no usable STARTTLS';
    case 'refused-at-handshake':
      return cell.alert ? `alert ${cell.alert}` : 'at the handshake';
    case 'refused-after-handshake':
      return 'left after the handshake';
    case 'not-attempted':
      return 'never connected';
  }
}
