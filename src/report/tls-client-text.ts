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

/** One distinct ClientHello, as lines of "term: value". */
export function helloFacts(entry: SenderHello): [string, string][] {
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
    ['SNI', hello.sni === null ? 'none' : printable(hello.sni, 255)],
    ['ALPN', hello.alpn.map((p) => printable(p, 255)).join(', ') || 'none'],
    ['seen', `${entry.connections} connection${entry.connections === 1 ? '' : 's'}, at ${entry.profiles.join(', ')}`],
  ];
}
