// Your relay's TLS behaviour as test results: one Vitest test per (sender, profile) cell,
// named "<sender> × <profile>", failing with what the receiver recorded. docs/vitest.md
// explains the options; docs/ci-recipes.md runs this file in GitHub Actions and GitLab CI.
//
//   npx vitest run     (as root: the receivers listen on port 25, the harness DNS on 53)
//
// The relay must trust badmx's test root and resolve through the harness DNS: start it with
//   npx badmx exec --certs node_modules/.cache/badmx/certs -- <your relay's start command>
import { describeMatrix } from 'badmx/vitest';

describeMatrix('our relay', {
  // Where badmx submits its probes: the relay under test (`badmx run --sender` syntax).
  senders: [process.env.BADMX_RELAY ?? 'smtp:localhost:587'],
  // Judged by badmx's strict policy: deliver over TLS 1.2 or later to a valid, trusted,
  // matching certificate, and nowhere else.
  policy: 'strict',
  // So: it never delivers in plaintext (no STARTTLS, or STARTTLS refused) and never to an
  // expired certificate; tls1.2 is the control it must deliver to, or its refusals prove nothing.
  profiles: ['no-starttls', 'starttls-454', 'expired', 'tls1.2'],
});
