import { startExim } from './exim-instance.js';
import type { MtaInstance, MtaStartOptions } from './mta-instance.js';
import type { MtaSoftwareName } from './mta-recipes.js';
import { startOpensmtpd } from './opensmtpd-instance.js';
import { startPostfix } from './postfix-instance.js';
import { startSendmail } from './sendmail-instance.js';

/** One MTA: how a private instance of it starts, and what every recipe of it changes from stock. */
export interface MtaSoftware {
  /** As the report names it. */
  name: string;
  start(options: MtaStartOptions): Promise<MtaInstance>;
  /** Deviations from Debian's stock configuration that every recipe of this MTA shares (each also marked DEVIATION in harness/<software>/). */
  deviations: readonly string[];
}

export const MTA_SOFTWARE: Readonly<Record<MtaSoftwareName, MtaSoftware>> = {
  postfix: {
    name: 'Postfix',
    start: startPostfix,
    deviations: ['no chroot (Debian ships smtp with chroot = y) so the smtp client reads the harness resolver; inet_protocols = ipv4'],
  },
  exim: {
    name: 'Exim',
    start: startExim,
    deviations: ["dnslookup router's ignore_target_hosts no longer lists 127.0.0.0/8 and the private ranges (the harness MX hosts are on 127.0.2.N)"],
  },
  opensmtpd: {
    name: 'OpenSMTPD',
    start: startOpensmtpd,
    deviations: [
      'run in its own mount and UTS namespaces: private /var/spool (queue) and /var/run (control socket) bind-mounted from the work directory, and the instance\'s own host name (its EHLO name), since smtpd compiles in those paths and takes its name from gethostname(3)',
      'the system trust store plus the harness test root bind-mounted over /etc/ssl/certs/ca-certificates.crt, the CA file smtpd compiles in',
      'listens on 127.0.0.1 at a free port (stock: "listen on localhost", port 25); "queue ttl" set to the run\'s lifetime (stock: 4d); smtpd -d, logging to a file; bounces to the probes\' domain refused by a match rule',
      'retries forced with "smtpctl schedule all" at the retry interval (smtpd\'s own back-off is compiled in); a route whose connection failed is still held back for 15s (compiled in), so with a shorter "queue ttl" a refused probe gets one attempt before it expires',
    ],
  },
  sendmail: {
    name: 'Sendmail',
    start: startSendmail,
    deviations: [
      "sendmail.cf built with m4 from Debian's sendmail.mc and the unpacked cf/ tree, and run with -C (never /etc/mail/sendmail.cf)",
      'one listener on 127.0.0.1 at a free port (Debian: MTA on 127.0.0.1:25 and MSP on 127.0.0.1:587); Debian\'s dial-up hooks (dialup.m4, provider.m4) not included',
      "LogLevel 14 (stock 9), to log each STARTTLS=client line with verify=; syslog captured through a private /dev/log",
      'Timeout.hoststatus shortened with the retry interval (stock 30m), so that a failed host is tried again at each queue run',
      "the machine's own name resolves to the instance's name in the instance's /etc/hosts (as Debian's installer writes 127.0.1.1 <fqdn>), since sendmail canonifies it at start",
    ],
  },
};

export const MTA_SOFTWARE_NAMES = Object.keys(MTA_SOFTWARE) as MtaSoftwareName[];
