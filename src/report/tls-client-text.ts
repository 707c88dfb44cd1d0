import type { SenderHello } from '../classify/client-hellos.js';
import type { RunSender } from '../document/run-document.js';
import { printable } from '../text/printable.js';

/**
 * What a sender offers in its TLS handshakes (run.json `senders[].tlsClient`), in the words
 * every report uses: its findings, and per distinct ClientHello the versions, the suites that
 * are flagged, groups, SNI and ALPN. Evidence even where no cell fails: a sender that offers
 * TLS 1.0 shows it at the tls1.2 control.
 */
export function tlsClientFindings(sender: Pick<RunSender, 'tlsClient'>): string {
  if (!sender.tlsClient) return 'no ClientHello on record (no TLS attempted, or a run before badmx recorded them)';
  return sender.tlsClient.findings.length ? sender.tlsClient.findings.join('; ') : 'nothing of note: TLS 1.2 or later only, no weak suites, SNI sent';
}

const short = (name: string | null, code: number): string => (name ?? `0x${code.toString(16).padStart(4, '0')}`).replace(/^TLS_/, '');

/**
 * A sender's distinct ClientHellos (grouped by JA4, JA3 and SNI in run.json) merged where
 * only the SNI differs: a sender that names each receiver offers the same handshake to all
 * of them, and fourteen copies of one offer bury what it says (a printed report ran to sixty
 * pages). The octets shown are the first one's; every one stays in run.json.
 */
export interface HelloOffer {
  first: SenderHello;
  /** The SNI of each merged hello, in run.json's order (null: none sent). */
  snis: (string | null)[];
  connections: number;
  profiles: string[];
}

export function helloOffers(hellos: readonly SenderHello[]): HelloOffer[] {
  const offers = new Map<string, HelloOffer>();
  for (const entry of hellos) {
    const key = `${entry.ja4} ${entry.ja3}`;
    const seen = offers.get(key);
    if (seen) {
      if (!seen.snis.includes(entry.hello.sni)) seen.snis.push(entry.hello.sni);
      seen.connections += entry.connections;
      for (const profile of entry.profiles) if (!seen.profiles.includes(profile)) seen.profiles.push(profile);
    } else {
      offers.set(key, { first: entry, snis: [entry.hello.sni], connections: entry.connections, profiles: [...entry.profiles] });
    }
  }
  return [...offers.values()];
}

/** The SNI values of an offer: one as it is, several as the first two and how many more. */
function sniText(snis: readonly (string | null)[]): string {
  const named = snis.map((sni) => (sni === null ? 'none' : printable(sni, 255)));
  if (named.length <= 3) return named.join(', ');
  return `${named.length} names, one per receiver it reached: ${named.slice(0, 2).join(', ')} and ${named.length - 2} more`;
}

/** One distinct offer, as lines of "term: value". */
export function helloFacts(offer: HelloOffer): [string, string][] {
  const entry = offer.first;
  const { hello } = entry;
  const suites = hello.cipherSuites.filter((c) => !c.grease);
  const flagged = suites.filter((c) => c.name !== null && /_(RC4|3DES|DES|EXPORT|NULL|anon)_|_CBC_/.test(c.name)).map((c) => short(c.name, c.code));
  return [
    ['JA4', entry.ja4],
    ['JA3', `${entry.ja3} (${entry.ja3Full})`],
    ['versions', `${hello.versions.join(', ')}${hello.versionsSource === 'legacy_version' ? ' (implied: no supported_versions)' : ''}`],
    ['cipher suites', `${suites.length} offered${flagged.length ? `; flagged: ${flagged.join(', ')}` : ''}`],
    ['groups', hello.supportedGroups.filter((g) => !g.grease).map((g) => short(g.name, g.code)).join(', ') || 'none'],
    ['signature algorithms', hello.signatureAlgorithms.filter((g) => !g.grease).map((g) => short(g.name, g.code)).join(', ') || 'none'],
    // Octets the client chose: printable, escaped (text/printable.ts).
    ['SNI', sniText(offer.snis)],
    ['ALPN', hello.alpn.map((p) => printable(p, 255)).join(', ') || 'none'],
    ['seen', `${offer.connections} connection${offer.connections === 1 ? '' : 's'}, at ${offer.profiles.join(', ')}`],
  ];
}
