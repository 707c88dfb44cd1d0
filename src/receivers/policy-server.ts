import { mkdirSync, writeFileSync } from 'node:fs';
import { PeerLimiter } from './peer-limits.js';
import { listenOrExplain } from './listen-or-explain.js';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, relative } from 'node:path';
import type { Socket } from 'node:net';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { ServedCredentials } from '../certs/pki.js';
import { POLICY_PATH, TLSRPT_HTTPS_PATH, type StsPublication } from '../profiles/mta-sts-policy.js';
import type { EventLog } from '../recorder/event-log.js';
import type { TlsVersion } from '../recorder/events.js';
import { describeTlsFailure } from './tls-failure.js';

/**
 * The MTA-STS policy hosts of a fleet: real HTTPS servers that serve each profile's policy
 * at `https://mta-sts.<domain>/.well-known/mta-sts.txt` (RFC 8461 §3.3) and take TLS-RPT
 * reports by POST (RFC 8460 §5.4), recording every request as evidence.
 *
 * One server per address, choosing the profile by SNI: with per-profile addressing each
 * policy host has its own address, so an `unreachable` one simply has nothing listening on
 * its port (connection refused, as on the internet). Where profiles share an address
 * (port-range, shared), an unreachable host's name is refused in the handshake instead, the
 * nearest a shared listener can come.
 */

/** A request body larger than this is refused with 413 (reports are a few KiB; RFC 8460 §5.4 sets no limit). */
const MAX_REPORT_BYTES = 1024 * 1024;
/** All stored report bodies of one run together. */
const MAX_STORED_REPORT_BYTES = 32 * 1024 * 1024;
/** Connections at once per listener: a sender fetches one policy per domain, a flood gets no further. */
const MAX_CONNECTIONS = 64;
/** A request must be complete within this (headers and body). */
const REQUEST_TIMEOUT_MS = 10_000;
/** Recorded request targets and header values are cut to this. */
const FIELD_LIMIT = 200;
/** A handshake must be over within this (Node's default is two minutes: enough to starve the listener). */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** One client's connections: at once, and per minute. Beyond them a connection is closed unrecorded, so no client can grow the log without bound. */
const MAX_PER_PEER = 16;
const MAX_PER_PEER_PER_MINUTE = 120;

export interface PolicyHost {
  profile: string;
  publication: StsPublication;
  /** Where it listens: the profile's address, on the policy port. */
  address: string;
  /** Its certificate: from the test PKI (valid or self-signed, as the profile says), or the user's. Null for an unreachable host. */
  credentials: ServedCredentials | null;
}

export interface PolicyServers {
  /** Each listener's address and port. */
  listening: { address: string; port: number; hosts: string[] }[];
  /**
   * A later phase of a profile (profile-phases.ts): its policy host stops answering
   * (`unreachable`: every handshake for its name is refused, as an attacker on the path who
   * blocks it makes the fetch fail) or answers again (`served`).
   */
  setPolicy(profile: string, policy: 'served' | 'unreachable'): void;
  close(): Promise<void>;
}

export async function startPolicyServers(options: {
  hosts: PolicyHost[];
  port: number;
  log: EventLog;
  /** The run directory: reports are stored in tlsrpt/ under it and recorded relative to it. */
  runDir: string;
}): Promise<PolicyServers> {
  const { log, port } = options;
  const serving = options.hosts.filter((h) => h.publication.spec.policy !== 'unreachable' && h.credentials);
  const refusedNames = new Map(options.hosts.filter((h) => h.publication.spec.policy === 'unreachable').map((h) => [h.publication.policyHost, h.profile]));
  const setPolicy = (profile: string, policy: 'served' | 'unreachable'): void => {
    const host = options.hosts.find((h) => h.profile === profile);
    if (!host) return;
    if (policy === 'unreachable') refusedNames.set(host.publication.policyHost, profile);
    else refusedNames.delete(host.publication.policyHost);
  };
  const byAddress = new Map<string, PolicyHost[]>();
  for (const host of serving) byAddress.set(host.address, [...(byAddress.get(host.address) ?? []), host]);
  const reportsDir = join(options.runDir, 'tlsrpt');
  let stored = 0;
  let requests = 0;

  const servers: Server[] = [];
  const listening: PolicyServers['listening'] = [];
  // Every TCP connection, so that close() ends those still in a handshake too (closeAllConnections knows only HTTP ones).
  const sockets = new Set<Socket>();
  // The receivers' own per-peer admission (bounded memory: peers with nothing open are swept).
  const peerLimiter = new PeerLimiter({ maxConnectionsPerPeer: MAX_PER_PEER, maxNewConnectionsPerPeerPerMinute: MAX_PER_PEER_PER_MINUTE });
  const close = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  };

  for (const [address, hosts] of byAddress) {
    const contexts = new Map<string, { host: PolicyHost; context: SecureContext }>();
    for (const host of hosts) {
      const credentials = host.credentials as ServedCredentials;
      contexts.set(host.publication.policyHost, { host, context: createSecureContext({ key: credentials.keyPem, cert: credentials.chainPem }) });
    }
    const fallback = hosts[0] as PolicyHost;
    const fallbackCredentials = fallback.credentials as ServedCredentials;
    const peers = new WeakMap<object, { address: string; port: number }>();
    const dropped = new WeakSet<object>();
    const peerOf = (socket: TLSSocket): { address: string; port: number } => {
      // Node's TLS socket keeps the TCP socket it wraps as `_parent`, the only handle tlsClientError gives.
      const tcp = (socket as TLSSocket & { _parent?: object | null })._parent;
      return (tcp ? peers.get(tcp) : undefined) ?? { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    };
    /** The SNI each connection sent, for the events of requests and failed handshakes. */
    const sniOf = new WeakMap<object, string | null>();
    const server = createServer({
      key: fallbackCredentials.keyPem,
      cert: fallbackCredentials.chainPem,
      // RFC 8461 §3.3 asks only for TLS, but every policy host on the internet speaks 1.2 or later; so do we.
      minVersion: 'TLSv1.2',
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      SNICallback: (servername, callback) => {
        const name = servername.toLowerCase();
        const profile = refusedNames.get(name);
        if (profile !== undefined) return callback(new Error(`the policy host ${name} is unreachable by design (profile ${profile})`));
        const found = contexts.get(name);
        if (found) return callback(null, found.context);
        // An unknown name still gets the address's own policy host: as a name-based virtual host on the internet would.
        return callback(null, undefined);
      },
    });
    server.maxConnections = MAX_CONNECTIONS;
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.headersTimeout = REQUEST_TIMEOUT_MS;
    server.keepAliveTimeout = 1_000;
    // The peer as the TCP connection arrived: after a failed handshake the TLS socket no longer says.
    server.on('connection', (raw: Socket) => {
      const peer = { address: raw.remoteAddress ?? '', port: raw.remotePort ?? 0 };
      if (peerLimiter.admit(peer.address) !== null) {
        dropped.add(raw);
        raw.destroy();
        return;
      }
      peers.set(raw, peer);
      sockets.add(raw);
      raw.once('close', () => {
        sockets.delete(raw);
        peerLimiter.release(peer.address);
      });
      // Every policy host here blocked (a later phase): a client that sends no SNI is refused too.
      if (hosts.every((h) => refusedNames.has(h.publication.policyHost))) {
        log.append({
          type: 'policy-tls-failed',
          profile: fallback.profile,
          conn: '',
          request: `https-${++requests}`,
          peer,
          sni: null,
          origin: 'profile',
          alert: null,
          reason: `refused: the policy host ${fallback.publication.policyHost} is unreachable by design`,
        });
        dropped.add(raw);
        raw.destroy();
      }
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      const sni = (socket as TLSSocket & { servername?: string | false }).servername;
      sniOf.set(socket, typeof sni === 'string' && sni !== '' ? sni.toLowerCase() : null);
    });
    server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
      // A connection this server closed itself (over a limit, or refused by design) is recorded once, or not at all.
      const tcp = (socket as TLSSocket & { _parent?: object | null })._parent;
      if (tcp && dropped.has(tcp)) return;
      const raw = (socket as TLSSocket & { servername?: string | false }).servername;
      const sni = typeof raw === 'string' && raw !== '' ? raw.toLowerCase() : null;
      const failure = describeTlsFailure(error);
      const refused = sni !== null ? refusedNames.get(sni) : undefined;
      log.append({
        type: 'policy-tls-failed',
        profile: refused ?? (sni !== null ? contexts.get(sni)?.host.profile : undefined) ?? fallback.profile,
        conn: '',
        request: `https-${++requests}`,
        peer: peerOf(socket),
        sni,
        origin: refused !== undefined ? 'profile' : failure.origin,
        alert: failure.alert,
        reason: refused !== undefined ? `refused: the policy host ${sni} is unreachable by design` : failure.reason,
      });
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const socket = request.socket as TLSSocket;
      const sni = sniOf.get(socket) ?? null;
      const entry = (sni !== null ? contexts.get(sni) : undefined) ?? { host: fallback };
      const host = entry.host;
      const id = `https-${++requests}`;
      const base = { profile: host.profile, conn: '', request: id, peer: peerOf(socket), sni };
      // One request per connection: a policy fetch is one GET (RFC 8461 §3.3), and every request is then one recorded event.
      response.setHeader('Connection', 'close');
      const path = shown(request.url ?? '');
      const record = (status: number): void => {
        log.append({
          type: 'policy-fetch',
          ...base,
          tlsVersion: versionOf(socket),
          method: shown(request.method ?? ''),
          path,
          host: typeof request.headers.host === 'string' ? shown(request.headers.host) : null,
          status,
          userAgent: typeof request.headers['user-agent'] === 'string' ? shown(request.headers['user-agent']) : null,
        });
      };
      const target = (request.url ?? '').split('?')[0];
      if (request.method === 'GET' && target === POLICY_PATH) {
        // RFC 8461 §3.3: "The policy ... MUST have the media type text/plain".
        response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        response.end(host.publication.text);
        record(200);
        return;
      }
      if (request.method === 'POST' && target === TLSRPT_HTTPS_PATH) {
        // Recorded once, as a report (not also as a fetch).
        receiveReport(request, response, id, (status, body, file) => {
          log.append({
            type: 'tlsrpt-post',
            ...base,
            contentType: typeof request.headers['content-type'] === 'string' ? shown(request.headers['content-type']) : null,
            bytes: body,
            file,
            status,
            userAgent: typeof request.headers['user-agent'] === 'string' ? shown(request.headers['user-agent']) : null,
          });
        });
        return;
      }
      request.resume();
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      response.end('not found\n');
      record(404);
    });

    // RFC 8460 §5.4: the report is the POST body, application/tlsrpt+json or +gzip; 2xx means received.
    const receiveReport = (request: IncomingMessage, response: ServerResponse, id: string, done: (status: number, bytes: number, file: string | null) => void): void => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      let refused = false;
      request.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_REPORT_BYTES) {
          if (!refused) {
            refused = true;
            response.writeHead(413, { 'Content-Type': 'text/plain' });
            response.end(`a report is at most ${MAX_REPORT_BYTES} bytes\n`);
            done(413, bytes, null);
          }
          return;
        }
        chunks.push(chunk);
      });
      request.on('end', () => {
        if (refused) return;
        if (stored + bytes > MAX_STORED_REPORT_BYTES) {
          response.writeHead(507, { 'Content-Type': 'text/plain' });
          response.end('no room for more reports in this run\n');
          done(507, bytes, null);
          return;
        }
        stored += bytes;
        const type = String(request.headers['content-type'] ?? '').toLowerCase();
        // Named by this request's own id (unique within the log), never overwriting one already stored.
        const file = join(reportsDir, `${id}-${Date.now()}${type.includes('gzip') ? '.json.gz' : '.json'}`);
        try {
          mkdirSync(reportsDir, { recursive: true, mode: 0o750 });
          writeFileSync(file, Buffer.concat(chunks), { mode: 0o640, flag: 'wx' });
        } catch {
          response.writeHead(500, { 'Content-Type': 'text/plain' });
          response.end('the report could not be stored\n');
          done(500, bytes, null);
          return;
        }
        response.writeHead(201, { 'Content-Type': 'text/plain' });
        response.end('report received\n');
        done(201, bytes, relative(options.runDir, file));
      });
      request.on('error', () => undefined);
    };

    try {
      await listenOrExplain(server, address, port, 'the MTA-STS policy host');
    } catch (error) {
      await close();
      throw error;
    }
    server.on('error', () => undefined);
    servers.push(server);
    const names = hosts.map((h) => h.publication.policyHost);
    listening.push({ address, port, hosts: names });
    log.append({ type: 'policy-listening', profile: fallback.profile, conn: '', address, port, hosts: names });
  }
  return { listening, setPolicy, close };
}

function versionOf(socket: TLSSocket): TlsVersion | 'unknown' {
  const protocol = socket.getProtocol?.();
  if (protocol === 'TLSv1') return 'TLSv1.0';
  if (protocol === 'TLSv1.1' || protocol === 'TLSv1.2' || protocol === 'TLSv1.3' || protocol === 'SSLv3') return protocol;
  return 'unknown';
}

/** A request field as recorded: at most FIELD_LIMIT characters, control characters escaped (the CRL hosts' too). */
export function shown(value: string): string {
  // eslint-disable-next-line no-control-regex
  const escaped = value.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return escaped.length > FIELD_LIMIT ? `${escaped.slice(0, FIELD_LIMIT)}…` : escaped;
}
