/**
 * The one base of every error badmx reports to the user as one line. `code` says what kind
 * of problem it is, and the CLI maps codes to exit statuses in one place
 * (`exitCodeFor` in cli/exit-codes.ts). The stages' own errors extend it: SenderError (a
 * sender that cannot be used), RunError (a run that could not complete, with what it
 * recorded), ReadBoundedError and JsonInputError (an input file that cannot be read or
 * parsed). Anything else that reaches the CLI is a bug, reported as "unexpected".
 */
export type BadmxErrorCode =
  | 'EUSAGE' // a flag or argument is wrong
  | 'EPROFILE' // a receiver profile file is wrong
  | 'EPKI' // the test PKI cannot be created or read
  | 'ELISTEN' // a receiver or the harness DNS cannot listen where it was told to
  | 'EMTA' // a managed sender (Postfix, Exim) is missing or cannot start
  | 'ESENDER' // a sender's configuration is wrong (a bad spec, credentials refused, TLS to the relay)
  | 'ECONFIG' // a configuration value is wrong
  | 'EINPUT' // an input file cannot be read or holds nothing usable
  | 'ERUN' // a saved run.json cannot be read back
  | 'ETLSRPT' // a TLS report (RFC 8460) cannot be read, is not valid, or cannot be built
  | 'EFAILED'; // a run could not complete (a sender unreachable or unusable): exit 4, what was recorded is kept

export class BadmxError extends Error {
  readonly code: BadmxErrorCode;

  constructor(message: string, code: BadmxErrorCode, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BadmxError';
    this.code = code;
  }
}
