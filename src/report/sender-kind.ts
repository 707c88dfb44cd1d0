import type { RunSender } from '../document/run-document.js';

const KIND_WORDS: Record<RunSender['kind'], string> = {
  builtin: 'built-in sender',
  smtp: 'SMTP relay',
  command: 'command',
  mta: 'managed MTA',
};

/** What a sender is, for a column header: the software and version when badmx ran it (e.g. "Postfix 3.7.11"). */
export function senderKind(sender: Pick<RunSender, 'kind' | 'software'>): string {
  if (sender.software) return `${sender.software.name} ${sender.software.version}`;
  return KIND_WORDS[sender.kind] ?? `${sender.kind} sender`;
}
