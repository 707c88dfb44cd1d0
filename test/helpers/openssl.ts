import { execa } from 'execa';

export interface SClientResult {
  output: string;
  /** Negotiated protocol as OpenSSL names it (TLSv1 for 1.0), or null when no session was made. */
  protocol: string | null;
  cipher: string | null;
  verifyCode: number | null;
  certificatesSent: number;
}

/**
 * `openssl s_client -starttls smtp` against a receiver: an independent TLS and SMTP
 * implementation, so the misconfigurations are proven by something other than our code.
 * stdin is empty, so s_client closes the session right after the handshake.
 */
export async function sClient(address: string, port: number, args: string[]): Promise<SClientResult> {
  const result = await execa('openssl', ['s_client', '-starttls', 'smtp', '-connect', `${address}:${port}`, ...args], {
    input: '',
    reject: false,
    all: true,
    timeout: 15_000,
  });
  const output = result.all ?? '';
  // "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384", or "New, (NONE), Cipher is (NONE)" when no session was made.
  // Below TLS 1.3 the version on that line is the cipher's ("SSLv3"); the session's is in "Protocol  : TLSv1",
  // which s_client prints for TLS 1.3 only once a session ticket arrived.
  const summary = /^New, (\S+), Cipher is (\S+)/m.exec(output);
  const established = summary !== null && summary[2] !== '(NONE)';
  const sessionProtocol = /^\s*Protocol\s*:\s*(\S+)/m.exec(output)?.[1];
  const verify = /Verify return code: (\d+)/.exec(output)?.[1];
  return {
    output,
    protocol: established ? (sessionProtocol ?? summary[1] ?? null) : null,
    cipher: established ? (summary[2] ?? null) : null,
    verifyCode: verify === undefined ? null : Number(verify),
    certificatesSent: (output.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length,
  };
}
