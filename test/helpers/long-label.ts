import type { RunDocument } from '../../src/document/run-document.js';

/** A sender label with no space in it, longer than any column: it must wrap, never be cut or push the page wider. */
export const LONG_LABEL = 'smtp:outbound-relay-with-a-very-long-hostname.eu-west-1.mail.example.com:587?tls=required&label=our-outbound-relay';

/** The run with its first sender renamed to LONG_LABEL. */
export function withLongLabel(run: RunDocument): RunDocument {
  const old = run.senders[0]?.label ?? '';
  return {
    ...run,
    senders: run.senders.map((s) => (s.label === old ? { ...s, label: LONG_LABEL } : s)),
    cells: run.cells.map((c) => (c.sender === old ? { ...c, sender: LONG_LABEL } : c)),
  };
}
