import { startExim } from './exim-instance.js';
import type { MtaInstance, MtaStartOptions } from './mta-instance.js';
import type { MtaSoftwareName } from './mta-recipes.js';
import { startPostfix } from './postfix-instance.js';

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
};

export const MTA_SOFTWARE_NAMES = Object.keys(MTA_SOFTWARE) as MtaSoftwareName[];
