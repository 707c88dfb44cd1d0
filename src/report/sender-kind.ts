import type { RunSender } from '../document/run-document.js';
import { duration } from './format-time.js';

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

/**
 * A sender's retries as the user stated them (`smtp:…?retries=`), in words that read after
 * "retries as stated: ": "after 5 min, 10 min, then gives up (each attempt within 1 min)";
 * a sender that tries once: "none, one attempt (within 1 min), then gives up".
 */
export function retriesText(retries: { readonly delaysMs: readonly number[]; readonly attemptMs: number }): string {
  const within = `within ${duration(retries.attemptMs)}`;
  return retries.delaysMs.length === 0
    ? `none, one attempt (${within}), then gives up`
    : `after ${retries.delaysMs.map(duration).join(', ')}, then gives up (each attempt ${within})`;
}
