import type { ReceivedStamp } from '../../src/receivers/received-header.js';

/** A plaintext stamp of the tls1.2 receiver, for tests of writing and of reading back badmx's own Received header. */
export const PLAINTEXT_STAMP: ReceivedStamp = {
  helo: 'sender.example',
  esmtp: true,
  peerAddress: '127.0.0.1',
  byHost: 'mx.tls1.2.badmx.test',
  software: 'badmx 0.1.0; profile tls1.2',
  tls: null,
  utf8: false,
  id: 'ABC.conn.1',
  recipients: ['probe@tls1.2.badmx.test'],
  date: new Date(Date.UTC(2026, 10, 23, 2, 3, 4)),
};
