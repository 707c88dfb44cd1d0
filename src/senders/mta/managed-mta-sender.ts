import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Probe } from '../../probes/probe.js';
import { SenderError, type ProbeTarget, type SendResult, type Sender, type SenderEnvironment, type SenderSoftware } from '../sender.js';
import { SmtpSender } from '../smtp-sender.js';
import { requireRoot } from './find-mta.js';
import type { MtaInstance } from './mta-instance.js';
import { LOCAL_TIMERS, type MtaRecipe, type MtaTimers } from './mta-recipes.js';
import { MTA_SOFTWARE } from './mta-software.js';

/**
 * A deferred probe is settled after this many attempts: the first and two retries at the
 * shortened timers, so that what the MTA does on a retry (where some senders fall back to
 * plaintext) is seen. Exim, unlike Postfix, does not bounce before its retry cutoff has
 * passed for a host whose last retry was after the message arrived, so waiting for the
 * bounce would make a run as long as its slowest MTA's retry rules.
 */
export const DEFERRALS_TO_SETTLE = 3;

/**
 * A real MTA that badmx runs itself (postfix:may ... exim:strict): a private instance
 * from the recipe in harness/, which finds every receiver by MX through the harness DNS
 * and delivers to it on port 25, as it would in production. Probes are submitted to it
 * over SMTP on loopback. Its log tells when it is done with a probe (delivered, or given
 * up and bounced); the outcome itself always comes from the receivers' records.
 */
export class ManagedMtaSender implements Sender {
  readonly kind = 'mta' as const;
  readonly needsDns = true;
  readonly spec: string;
  readonly label: string;
  readonly notes: string[];
  software: SenderSoftware | null = null;
  resolverAddress: string | null = null;
  readonly #recipe: MtaRecipe;
  readonly #timers: MtaTimers;
  #env: SenderEnvironment | null = null;
  #instance: MtaInstance | null = null;
  #submit: SmtpSender | null = null;

  constructor(recipe: MtaRecipe, options: { label?: string; timers?: MtaTimers } = {}) {
    this.#recipe = recipe;
    this.#timers = options.timers ?? LOCAL_TIMERS;
    this.spec = recipe.spec;
    this.label = options.label ?? recipe.spec;
    const { retrySeconds, lifetimeSeconds } = this.#timers;
    const shared = [
      recipe.summary,
      'private instance (own configuration, queue and log); probes submitted on 127.0.0.1 only',
      'finds receivers by MX through the harness DNS (a harness resolv.conf bind-mounted in a private mount namespace)',
      'trusts the harness test root in addition to the system trust store',
      `retry timers shortened: deferred mail retried every ${retrySeconds}s and bounced after ${lifetimeSeconds}s (stock: hours to days)`,
      'bounces to the probes\' sender domain are discarded',
    ];
    this.notes = [...shared, ...MTA_SOFTWARE[recipe.software].deviations, ...(recipe.deviations ?? [])];
  }

  prepare(env: SenderEnvironment): Promise<void> {
    this.#env = env;
    return Promise.resolve();
  }

  async check(): Promise<void> {
    const env = this.#env;
    if (!env) throw new SenderError(`${this.spec}: the harness did not prepare this sender (no DNS server, no work directory)`);
    requireRoot(this.spec);
    const software = MTA_SOFTWARE[this.#recipe.software];
    this.#instance = await software.start({
      recipe: this.#recipe,
      env,
      timers: this.#timers,
      hostname: `${this.#recipe.software}-${this.#recipe.variant}.senders.${env.zone}`,
    });
    this.software = { name: software.name, version: this.#instance.version };
    this.resolverAddress = this.#instance.resolverAddress ?? null;
    this.#submit = new SmtpSender(`${this.spec} submission`, { host: '127.0.0.1', port: this.#instance.port, tls: 'none', label: this.label });
    await this.#submit.check();
  }

  async send(probe: Probe, message: string, target: ProbeTarget): Promise<SendResult> {
    if (!this.#submit) throw new SenderError(`${this.spec}: not started`);
    const result = await this.#submit.send(probe, message, target);
    return { ...result, detail: result.detail.replace(/^relay /, `${this.software?.name ?? 'MTA'} `) };
  }

  poll(probes: Probe[]): Promise<Map<string, SendResult>> {
    const done = new Map<string, SendResult>();
    const instance = this.#instance;
    if (!instance) return Promise.resolve(done);
    const statuses = instance.logReader(instance.readLog());
    for (const probe of probes) {
      const status = statuses.get(probe.recipient.toLowerCase());
      if (!status || (status.status === 'deferred' && status.attempts < DEFERRALS_TO_SETTLE)) continue;
      const verb = status.status === 'sent' ? 'delivered' : status.status === 'bounced' ? 'gave up' : 'kept deferring';
      done.set(probe.id, { accepted: true, final: true, detail: `${this.software?.name ?? 'MTA'} ${verb} after ${status.attempts} attempt(s): ${status.detail.slice(0, 300)}` });
    }
    return Promise.resolve(done);
  }

  async close(): Promise<void> {
    await this.#submit?.close();
    const instance = this.#instance;
    const env = this.#env;
    this.#instance = null;
    if (instance) await instance.stop();
    if (env) {
      // The MTA's own log is evidence: keep it in the run directory, then drop the queue.
      if (instance) {
        mkdirSync(dirname(env.logFile), { recursive: true });
        writeFileSync(env.logFile, instance.readLog());
      }
      if (existsSync(env.workDir)) rmSync(env.workDir, { recursive: true, force: true });
    }
  }
}

