import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * The CI recipes (docs/ci/) and the example they run (docs/examples/relay.test.ts), read the
 * way the tests use them: the tarball test runs the recipes' own shell (their relay start and
 * their Vitest command) in a scratch project, and the recipe test checks their structure and
 * that both say the same thing. So the docs cannot drift from what is tested.
 */

export const ROOT = join(import.meta.dirname, '../..');
export const GITHUB_WORKFLOW = join(ROOT, 'docs/ci/github-actions.yml');
export const GITLAB_CI = join(ROOT, 'docs/ci/gitlab-ci.yml');
export const EXAMPLE = join(ROOT, 'docs/examples/relay.test.ts');

/** The one command that runs the matrix in CI: Vitest with its JUnit reporter, where both platforms read it. */
export const VITEST_COMMAND = 'npx vitest run --reporter=default --reporter=junit --outputFile.junit=reports/junit.xml';
export const JUNIT_FILE = 'reports/junit.xml';
/** Where describeMatrix's reports land (reports/badmx/<suite>/), which both recipes keep. */
export const REPORTS_DIR = 'reports/';

export interface GithubStep {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

export interface GithubWorkflow {
  name: string;
  on: unknown;
  permissions?: Record<string, string>;
  jobs: Record<string, { 'runs-on': string; env?: Record<string, string>; steps: GithubStep[]; 'timeout-minutes'?: number }>;
}

export interface GitlabJob {
  stage?: string;
  image?: string;
  variables?: Record<string, string>;
  before_script?: string[];
  script: string[];
  after_script?: string[];
  artifacts?: { when?: string; paths?: string[]; reports?: { junit?: string | string[] } };
}

export function readYaml(file: string): unknown {
  return parse(readFileSync(file, 'utf8'), { prettyErrors: true, strict: true, uniqueKeys: true });
}

export function githubWorkflow(): GithubWorkflow {
  return readYaml(GITHUB_WORKFLOW) as GithubWorkflow;
}

export function gitlabCi(): Record<string, GitlabJob> {
  return readYaml(GITLAB_CI) as Record<string, GitlabJob>;
}

/** The recipes' one job each. */
export function githubJob(): GithubWorkflow['jobs'][string] {
  const job = githubWorkflow().jobs['relay-matrix'];
  if (!job) throw new Error('docs/ci/github-actions.yml: no job relay-matrix');
  return job;
}

export function gitlabJob(): GitlabJob {
  const job = gitlabCi().badmx;
  if (!job) throw new Error('docs/ci/gitlab-ci.yml: no job badmx');
  return job;
}

export function githubStep(name: string): GithubStep & { run: string } {
  const step = githubJob().steps.find((s) => s.name === name);
  if (!step?.run) throw new Error(`docs/ci/github-actions.yml: no step "${name}" with a run script`);
  return { ...step, run: step.run };
}

/** The GitHub steps the tarball test runs, by name. */
export const START_RELAY_STEP = 'Start the relay under test';
export const RUN_MATRIX_STEP = 'Run the matrix';

/** GitLab's script: its first entry starts the relay, its second runs the matrix. */
export function gitlabScript(): { startRelay: string; runMatrix: string } {
  const [startRelay, runMatrix, ...rest] = gitlabJob().script;
  if (!startRelay || !runMatrix || rest.length > 0) throw new Error('docs/ci/gitlab-ci.yml: the script must be two entries: start the relay, run the matrix');
  return { startRelay, runMatrix };
}

/** A script as GitLab would run it when it is the user's root container: GitHub's without `sudo` (the tests run as root). */
export function withoutSudo(script: string): string {
  return script.replace(/\bsudo env "PATH=\$PATH" /g, '').replace(/\bsudo /g, '');
}
