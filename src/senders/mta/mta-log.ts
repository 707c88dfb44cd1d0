/**
 * What a managed MTA's own log says about each recipient: the last delivery status per
 * recipient address (lower case). badmx reads the log only to know when the MTA itself
 * is done with a probe (delivered, or given up and bounced); what the probe's outcome
 * was always comes from the receivers' records, never from the sender's word.
 */
export interface MtaDeliveryStatus {
  status: 'sent' | 'deferred' | 'bounced';
  /** The MTA's own text for the last attempt, e.g. "status=deferred (TLS is required, but ...)". */
  detail: string;
  attempts: number;
}

export type MtaLogReader = (text: string) => Map<string, MtaDeliveryStatus>;

/**
 * Postfix (maillog_file): `<queue id>: to=<rcpt>, relay=..., dsn=X.Y.Z, status=sent (250 ...)`
 * from smtp(8), and `status=expired, returned to sender` from qmgr(8) when a message
 * exceeds maximal_queue_lifetime before another attempt.
 */
export const readPostfixLog: MtaLogReader = (text) => {
  const statuses = new Map<string, MtaDeliveryStatus>();
  for (const line of text.split('\n')) {
    const to = line.indexOf(' to=<');
    if (to < 0) continue;
    const end = line.indexOf('>', to);
    const at = line.indexOf(' status=', end);
    if (end < 0 || at < 0) continue;
    const recipient = line.slice(to + 5, end).toLowerCase();
    const word = /^[a-z]+/.exec(line.slice(at + 8))?.[0] ?? '';
    const status = word === 'sent' ? 'sent' : word === 'deferred' ? 'deferred' : word === 'bounced' || word === 'expired' ? 'bounced' : null;
    if (!status) continue;
    const previous = statuses.get(recipient);
    // A destination Postfix holds back after a failure ("delivery temporarily suspended")
    // was not tried: like Exim's "retry time not reached", it is no attempt.
    const attempt = !line.includes('delivery temporarily suspended');
    statuses.set(recipient, { status, detail: line.slice(at + 1).trim(), attempts: (previous?.attempts ?? 0) + (attempt ? 1 : 0) });
  }
  return statuses;
};

/**
 * Exim (mainlog): `<id> => rcpt ...` delivered, `<id> == rcpt ... defer (...)` deferred,
 * `<id> ** rcpt ...` failed and bounced (spec chapter 52, "Log files": log line flags).
 */
export const readEximLog: MtaLogReader = (text) => {
  const statuses = new Map<string, MtaDeliveryStatus>();
  for (const line of text.split('\n')) {
    const match = /^\S+ \S+ (?:\[\d+\] )?\S+ (=>|==|\*\*) (\S+)/.exec(line);
    if (!match) continue;
    const flag = match[1];
    const recipient = (match[2] ?? '').replace(/^<|>$/g, '').toLowerCase();
    const status = flag === '=>' ? 'sent' : flag === '==' ? 'deferred' : 'bounced';
    const previous = statuses.get(recipient);
    // "retry time not reached" is a queue runner skipping the host, not an attempt.
    const attempt = !/retry time not reached/.test(line);
    statuses.set(recipient, {
      status,
      detail: line.slice((match.index ?? 0) + match[0].length - (match[2] ?? '').length).trim(),
      attempts: (previous?.attempts ?? 0) + (attempt ? 1 : 0),
    });
  }
  return statuses;
};
