import type { MtaDeliveryStatus, MtaLogReader } from './mta-log.js';

/**
 * Sendmail (syslog, LogLevel 14): one line per delivery attempt,
 * `<qid>: to=<rcpt>, delay=..., mailer=esmtp, ..., relay=<mx>. [<address>], dsn=X.Y.Z, stat=Sent (...)`
 * or `stat=Deferred: ...`, and a permanent failure with a 5.x.x dsn. When a message
 * outlives Timeout.queuereturn, sendmail returns it without another attempt and logs
 * `<qid>: <new qid>: DSN: Cannot send message for ...`: every recipient of that queue id
 * not yet delivered is then given up (bounced).
 */
export const readSendmailLog: MtaLogReader = (text) => {
  const statuses = new Map<string, MtaDeliveryStatus>();
  const byQueueId = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const to = /\b([0-9A-Za-z]{8,20}): to=(.+?), (?:ctladdr=.*?, )?delay=/.exec(line);
    if (to) {
      const queueId = to[1] ?? '';
      const recipients = (to[2] ?? '').split(',').map((r) => r.trim().replace(/^<|>$/g, '').toLowerCase());
      const stat = / stat=(.*)$/.exec(line)?.[1] ?? '';
      const dsn = / dsn=(\d)\./.exec(line)?.[1];
      const status = /^Sent\b/.test(stat) ? 'sent' : /^Deferred\b/.test(stat) || dsn === '4' ? 'deferred' : dsn === '5' ? 'bounced' : null;
      if (!status) continue;
      const detail = line.slice(line.indexOf(' to=') + 1).trim();
      for (const recipient of recipients) {
        const previous = statuses.get(recipient);
        statuses.set(recipient, { status, detail, attempts: (previous?.attempts ?? 0) + 1 });
      }
      byQueueId.set(queueId, [...new Set([...(byQueueId.get(queueId) ?? []), ...recipients])]);
      continue;
    }
    const returned = /\b([0-9A-Za-z]{8,20}): [0-9A-Za-z]{8,20}: DSN: (.*)$/.exec(line);
    if (returned) {
      for (const recipient of byQueueId.get(returned[1] ?? '') ?? []) {
        const previous = statuses.get(recipient);
        if (!previous || previous.status === 'sent') continue;
        statuses.set(recipient, { status: 'bounced', detail: `returned to sender: ${returned[2] ?? ''} (last: ${previous.detail})`, attempts: previous.attempts });
      }
    }
  }
  return statuses;
};
