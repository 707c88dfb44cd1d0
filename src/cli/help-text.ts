import type { Command } from 'commander';

/** The forms of --sender, for the help of every command that takes one (docs/running.md#senders has the whole story). */
export const SENDER_FORMS = [
  'Sender forms (--sender):',
  '  builtin:opportunistic | builtin:strict | builtin:mta-sts | builtin:dane   badmx delivers to each MX itself',
  '  builtin:MODE?label=NAME                       the same mode again under its own label',
  '  smtp:HOST[:PORT][?tls=opportunistic|starttls|implicit|none&user=U&password-env=VAR&ca=FILE&label=NAME&retries=none|5m,10m&attempt=1m]',
  '                                                a relay or a vendor that delivers for you (password read from $VAR, default BADMX_SMTP_PASSWORD)',
  '  postfix:may|encrypt|verify|secure|dane|mta-sts, exim:default|strict|dane,',
  '  opensmtpd:default|tls|verify, sendmail:default|starttls                     a real MTA badmx runs (root)',
  '  command:CMD ARGS                              a command per probe, the message on stdin (e.g. command:sendmail -t -i)',
].join('\n');

/** Two examples under a command's options (and, before them, any text of its own). */
export function addExamples(command: Command, examples: [string, string], before?: string): Command {
  return command.addHelpText('after', examplesText(examples, before));
}

/** The same as text, for a chain: `.addHelpText('after', examplesText([...]))`. */
export function examplesText(examples: [string, string], before?: string): string {
  return `\n${before ? `${before}\n\n` : ''}Examples:\n  ${examples[0]}\n  ${examples[1]}\n`;
}
