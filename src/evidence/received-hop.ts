/** A TLS protocol version as a Received header states it. */
export type HopTlsVersion = 'SSLv3' | 'TLSv1.0' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** One Received header of a delivered probe, parsed; a message's chain is listed oldest first. */
export interface ReceivedHop {
  raw: string;
  from: { helo: string | null; rdns: string | null; address: string | null };
  by: { host: string | null; software: string | null };
  with: string | null;
  id: string | null;
  for: string | null;
  date: string | null;
  tls: { tls: boolean | 'unknown'; version: HopTlsVersion | null; cipher: string | null; bits: number | null; verify: string | null };
}
