/**
 * An error badmx reports to the user as one line. `code` says what kind of problem it
 * is; the CLI maps usage and setup problems to exit code 2.
 */
export type BadmxErrorCode =
  | 'EUSAGE' // a flag or argument is wrong
  | 'EPROFILE' // a receiver profile file is wrong
  | 'EPKI' // the test PKI cannot be created or read
  | 'ELISTEN' // a receiver or the harness DNS cannot listen where it was told to
  | 'EMTA' // a managed sender (Postfix, Exim) is missing or cannot start
  | 'ECONFIG' // a configuration value is wrong
  | 'EINPUT' // an input file cannot be read or holds nothing usable
  | 'ERUN' // a saved run.json cannot be read back
  | 'EFAILED'; // a run could not complete (a sender unreachable or unusable): exit 4, what was recorded is kept

export class BadmxError extends Error {
  readonly code: BadmxErrorCode;

  constructor(message: string, code: BadmxErrorCode, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BadmxError';
    this.code = code;
  }
}
