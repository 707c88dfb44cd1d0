import { z } from 'zod';
import { TLS_VERSIONS } from '../profiles/profile-schema.js';

/**
 * A verdict policy as data: rules tried in order, the first whose `when` matches the
 * profile decides what the sender was expected to do there. `when` tests facts derived
 * from the profile (profile-facts.ts), so a policy works for profiles added later.
 */
const conditionSchema = z.strictObject({
  /** The receiver offers STARTTLS and completes handshakes (profile starttls "offer"). */
  tlsOffered: z.boolean().optional(),
  /** The highest version the receiver speaks is at least this. */
  maxVersionAtLeast: z.enum(TLS_VERSIONS).optional(),
  /** Trusted issuer, matching names, within validity, SHA-256 signature, complete chain, a key and purpose for a server, not revoked. */
  certificateValid: z.boolean().optional(),
  /**
   * The MTA-STS mode a sender learns from the domain (RFC 8461): `enforce` or `testing` when
   * the policy can be fetched, `none` when the domain publishes none or it cannot be fetched
   * (§3.3, §5: then it is as if the domain had not implemented MTA-STS).
   */
  stsMode: z.enum(['enforce', 'testing', 'none']).optional(),
  /** The MX meets the domain's policy (§5): a matching `mx` pattern, STARTTLS, a valid certificate. True where no policy applies. */
  stsPolicyMet: z.boolean().optional(),
  /**
   * What a validating sender learns of the MX host's TLSA records (RFC 7672 §2.1-2.2):
   * `secure`, `bogus` (validation fails), `insecure` (unsigned part of the tree) or `none`.
   */
  daneState: z.enum(['secure', 'bogus', 'insecure', 'none']).optional(),
  /** The MX offers STARTTLS and presents a certificate its secure TLSA records match (§3). True where none apply. */
  daneMet: z.boolean().optional(),
  /** The receiver's key exchange is below current floors (DHE over fewer than 2048 bits). */
  weakKeyExchange: z.boolean().optional(),
  /** The leaf's issuer has revoked it, stated by a CRL and a stapled OCSP response (certificateValid is false there too). */
  certificateRevoked: z.boolean().optional(),
  /**
   * The receiver offers TLS only past a man in the middle's tampering (profile-role.ts
   * tlsPastTampering): forged plaintext with its 220 to STARTTLS (EAST B_1), or STARTTLS hidden
   * from the first EHLO.
   */
  tlsPastTampering: z.boolean().optional(),
  /** The receiver's greeting refuses service (a 554 greeting, RFC 5321 §3.1: tampering.greeting). */
  serviceRefused: z.boolean().optional(),
  /** Match these profiles by name. */
  profiles: z.array(z.string()).optional(),
});

export const policySchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and "-"'),
  title: z.string().min(1),
  rules: z
    .array(
      z.strictObject({
        when: conditionSchema.optional(),
        /**
         * delivered-tls: delivered inside TLS (at least minVersion); delivered: in any way;
         * not-delivered: not at all; no-plaintext: inside TLS (at least minVersion) or not at all
         * (where both are sound, as holding mail at a transition it finds tampered with).
         */
        expect: z.enum(['delivered-tls', 'delivered', 'not-delivered', 'no-plaintext']),
        minVersion: z.enum(TLS_VERSIONS).optional(),
        because: z.string().min(1),
      }),
    )
    .min(1)
    .refine((rules) => rules[rules.length - 1]?.when === undefined, 'the last rule must have no "when", so every profile gets an expectation'),
});

export type Policy = z.output<typeof policySchema>;
export type PolicyRule = Policy['rules'][number];
