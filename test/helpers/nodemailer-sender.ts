import { createTransport } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { SendResult, Sender } from '../../src/senders/sender.js';

/**
 * A "vendor" for the tests: a sender badmx knows nothing of (kind command), which delivers
 * each probe straight to the profile's MX with nodemailer, greeting as `<label>.vendor.example`.
 * `tls` is nodemailer's transport TLS (requireTLS, tls options, …); `refused` is what it says
 * when its delivery fails (default: it did not accept the probe).
 */
export function nodemailerSender(options: {
  label: string;
  tls: Pick<SMTPTransport.Options, 'requireTLS' | 'opportunisticTLS' | 'tls'>;
  refused?: (error: Error) => SendResult;
}): Sender {
  const refused = options.refused ?? ((error: Error) => ({ accepted: false, final: true, detail: error.message }));
  return {
    spec: `command:${options.label}`,
    label: options.label,
    kind: 'command',
    notes: [],
    check: () => Promise.resolve(),
    close: () => Promise.resolve(),
    async send(probe, message, target) {
      const transport = createTransport({
        host: target.address,
        port: target.port,
        name: `${options.label}.vendor.example`,
        connectionTimeout: 5_000,
        ...options.tls,
        ...(options.tls.tls ? { tls: { servername: target.hostname, ...options.tls.tls } } : {}),
      });
      try {
        await transport.sendMail({ envelope: { from: probe.from, to: [probe.recipient] }, raw: message });
        return { accepted: true, final: true, detail: 'delivered' };
      } catch (error) {
        return refused(error as Error);
      } finally {
        transport.close();
      }
    },
  };
}
