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
