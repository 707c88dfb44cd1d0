import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { PeerLimiter } from './peer-limits.js';
import { listenOrExplain } from './listen-or-explain.js';
import type { Socket } from 'node:net';
import type { RevocationSigner } from '../certs/revocation.js';
import { CRL_MEDIA_TYPE, CRL_PATH, type RevocationPublication } from '../profiles/revocation.js';
import type { EventLog } from '../recorder/event-log.js';
import { shown } from './policy-server.js';

/**
 * The CRL hosts of a fleet: plain HTTP servers (RFC 5280 §4.2.1.13 names http URIs for CRL
 * distribution points; a CRL is signed and needs no TLS) that serve each revoked profile's
 * issuer CRL at `http://crl.<domain>/intermediate.crl`, recording every request as evidence
 * (`crl-fetch`): a cell can then say whether its sender looked.
 *
 * One server per address (per-profile addressing gives each revoked profile its own), choosing
 * the profile by the Host header, else the address's first.
 */

/** Connections at once per listener. */
const MAX_CONNECTIONS = 64;
/** One client's connections at once, and per minute; beyond them a connection is closed unrecorded. */
const MAX_PER_PEER = 16;
const MAX_PER_PEER_PER_MINUTE = 120;
/** A request must be complete within this. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface CrlHost {
  profile: string;
  publication: RevocationPublication;
  signer: RevocationSigner;
}

export interface CrlServers {
  listening: { address: string; port: number; hosts: string[] }[];
  close(): Promise<void>;
}

export async function startCrlServers(options: { hosts: CrlHost[]; port: number; log: EventLog }): Promise<CrlServers> {
  const { log, port } = options;
  const byAddress = new Map<string, CrlHost[]>();
  for (const host of options.hosts) byAddress.set(host.publication.crlAddress, [...(byAddress.get(host.publication.crlAddress) ?? []), host]);
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const listening: CrlServers['listening'] = [];
  // The receivers' own per-peer admission (bounded memory: peers with nothing open are swept).
  const peers = new PeerLimiter({ maxConnectionsPerPeer: MAX_PER_PEER, maxNewConnectionsPerPeerPerMinute: MAX_PER_PEER_PER_MINUTE });
  let requests = 0;
  const close = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  };

  for (const [address, hosts] of byAddress) {
    const fallback = hosts[0] as CrlHost;
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const hostHeader = typeof request.headers.host === 'string' ? request.headers.host : null;
      const name = hostHeader?.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '') ?? null;
      const host = hosts.find((h) => h.publication.crlHost === name) ?? fallback;
      const target = (request.url ?? '').split('?')[0];
      // One request per connection: every request is one recorded event.
      response.setHeader('Connection', 'close');
      let status = 404;
      let bytes = 0;
      if ((request.method === 'GET' || request.method === 'HEAD') && target === CRL_PATH) {
        const crl = host.signer.crl();
        status = 200;
        bytes = request.method === 'GET' ? crl.length : 0;
        // RFC 2585 §4.2: a DER CRL over HTTP is application/pkix-crl.
        response.writeHead(200, { 'Content-Type': CRL_MEDIA_TYPE, 'Content-Length': crl.length });
        response.end(request.method === 'GET' ? crl : undefined);
      } else {
        request.resume();
        response.writeHead(404, { 'Content-Type': 'text/plain' });
        response.end('not found\n');
      }
      log.append({
        type: 'crl-fetch',
        profile: host.profile,
        conn: '',
        request: `http-${++requests}`,
        peer: { address: request.socket.remoteAddress ?? '', port: request.socket.remotePort ?? 0 },
        method: shown(request.method ?? ''),
        path: shown(request.url ?? ''),
        host: hostHeader === null ? null : shown(hostHeader),
        status,
        bytes,
        userAgent: typeof request.headers['user-agent'] === 'string' ? shown(request.headers['user-agent']) : null,
      });
    });
    server.maxConnections = MAX_CONNECTIONS;
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.headersTimeout = REQUEST_TIMEOUT_MS;
    server.keepAliveTimeout = 1_000;
    server.on('connection', (raw: Socket) => {
      const peer = raw.remoteAddress ?? '';
      if (peers.admit(peer) !== null) {
        raw.destroy();
        return;
      }
      sockets.add(raw);
      raw.once('close', () => {
        sockets.delete(raw);
        peers.release(peer);
      });
    });
    server.on('clientError', (_error, socket: Socket) => socket.destroy());
    try {
      await listenOrExplain(server, address, port, 'the CRL host');
    } catch (error) {
      await close();
      throw error;
    }
    server.on('error', () => undefined);
    servers.push(server);
    const names = hosts.map((h) => h.publication.crlHost);
    listening.push({ address, port, hosts: names });
    log.append({ type: 'crl-listening', profile: fallback.profile, conn: '', address, port, hosts: names });
  }
  return { listening, close };
}
