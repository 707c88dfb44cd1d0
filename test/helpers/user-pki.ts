import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/**
 * A stand-in for a public CA and the certificates an operator would bring with
 * --cert/--key, made with the openssl CLI (independent of badmx's own PKI code): a root
 * that plays the publicly trusted root, an optional intermediate, and leaves with any
 * names, key type and lifetime.
 */
export interface Issued {
  cert: string;
  key: string;
  /** The certificate's PEM. */
  pem: string;
}

export class UserPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'badmx-user-pki-'));
  #n = 0;

  /** A self-signed CA (the "public root"). */
  async root(name = 'Stand-in Public Root'): Promise<Issued> {
    const base = this.#next();
    await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.crt`, '-days', '30', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-addext', 'subjectKeyIdentifier=hash']);
    return this.#issued(base);
  }

  /** A certificate issued by `issuer`: a CA when `ca`, else a TLS server leaf with these DNS names (none: no SAN at all). */
  async issue(issuer: Issued, options: { names?: string[]; cn?: string; ca?: boolean; key?: 'rsa' | 'ec'; days?: number }): Promise<Issued> {
    const base = this.#next();
    const keyArgs = options.key === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
    await openssl(['req', '-new', ...keyArgs, '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${options.cn ?? options.names?.[0] ?? 'leaf'}`]);
    const ext = options.ca
      ? ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign,cRLSign']
      : [
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          'extendedKeyUsage=serverAuth',
          ...(options.names && options.names.length > 0 ? [`subjectAltName=${options.names.map((n) => `DNS:${n}`).join(',')}`] : []),
        ];
    writeFileSync(`${base}.ext`, [...ext, 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'].join('\n'));
    await openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', issuer.cert, '-CAkey', issuer.key, '-CAcreateserial', '-days', String(options.days ?? 30),
      '-sha256', '-extfile', `${base}.ext`, '-out', `${base}.crt`]);
    return this.#issued(base);
  }

  /** Write PEM parts into one file (a chain, a bundle) and return its path. */
  file(name: string, ...parts: string[]): string {
    const path = join(this.dir, name);
    writeFileSync(path, parts.join(''));
    return path;
  }

  #next(): string {
    this.#n += 1;
    return join(this.dir, `c${this.#n}`);
  }

  #issued(base: string): Issued {
    return { cert: `${base}.crt`, key: `${base}.key`, pem: readFileSync(`${base}.crt`, 'utf8') };
  }
}

async function openssl(args: string[]): Promise<void> {
  await execa('openssl', args, { stdin: 'ignore' });
}
