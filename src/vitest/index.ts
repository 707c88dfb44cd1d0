/**
 * badmx/vitest: a matrix as Vitest tests (docs/vitest.md). Needs vitest, a peer dependency;
 * importing this module registers nothing until describeMatrix is called.
 *
 *   import { describeMatrix } from 'badmx/vitest';
 *   describeMatrix('our relay', { senders: ['smtp:localhost:587'], profiles: ['no-starttls', 'expired'] });
 */
export {
  describeMatrix,
  MatrixCellError,
  DEFAULT_CERTS_DIR,
  DEFAULT_REPORTS,
  DEFAULT_WAIT_MS,
  type BuiltinProfileName,
  type Expectation,
  type MatrixHandle,
  type MatrixOptions,
  type PlannedCell,
  type ProfileName,
} from './matrix-tests.js';
