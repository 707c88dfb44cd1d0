import type { MtaDeliveryStatus, MtaLogReader } from './mta-log.js';

/**
 * OpenSMTPD 6.8 (smtpd -d writes to stderr what it would send to syslog):
 * `<session> mta delivery evpid=<id> from=<...> to=<rcpt> rcpt=<...> source=... relay=...
 * delay=... result="Ok"|"TempFail"|"PermFail" stat="..."` for each attempt (the session is
 * 0000000000000000 when no connection to any MX could be made), and `relay: Expire for
 * <evpid>: from=<...>, to=<rcpt>, ..., stat=Envelope expired` when a deferred envelope
 * outlives "queue ttl" and is bounced.
 */
export const readOpensmtpdLog: MtaLogReader = (text) => {
  const statuses = new Map<string, MtaDeliveryStatus>();
  for (const line of text.split('\n')) {
    const delivery = /\bmta delivery evpid=\S+ from=<[^>]*> to=<([^>]*)>.*? result="(Ok|TempFail|PermFail)"/.exec(line);
    const expired = delivery ? null : /\brelay: Expire for \S+ from=<[^>]*>, to=<([^>]*)>/.exec(line);
    const match = delivery ?? expired;
    if (!match) continue;
    const recipient = (match[1] ?? '').toLowerCase();
    const result = delivery ? delivery[2] : 'Expire';
    const status = result === 'Ok' ? 'sent' : result === 'TempFail' ? 'deferred' : 'bounced';
    const previous = statuses.get(recipient);
    // An expiry is the scheduler giving up, not an attempt.
    const attempt = delivery !== null;
    const detail = delivery ? line.slice(line.indexOf(' result=') + 1).trim() : `expired, bounced: ${line.slice(line.lastIndexOf('stat=')).trim()}`;
    statuses.set(recipient, { status, detail, attempts: (previous?.attempts ?? 0) + (attempt ? 1 : 0) });
  }
  return statuses;
};
