import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DNS } from '../../src/run/run-matrix.js';
import { DEFAULT_CERTS_DIR, DEFAULT_REPORTS } from '../../src/vitest/index.js';
import {
  EXAMPLE,
  GITHUB_WORKFLOW,
  GITLAB_CI,
  JUNIT_FILE,
  REPORTS_DIR,
  ROOT,
  RUN_MATRIX_STEP,
  START_RELAY_STEP,
  VITEST_COMMAND,
  githubJob,
  githubStep,
  githubWorkflow,
  gitlabCi,
  gitlabJob,
  gitlabScript,
  readYaml,
  withoutSudo,
} from './recipes.js';

/**
 * The CI recipes in docs/ci/, tested as far as they can be here: they parse (strict YAML, no
 * duplicate keys), they have the structure each platform documents (checked with Ajv against
 * the subset of each platform's syntax they use; no npm package ships GitHub's or GitLab's own
 * schema), their shell parses, and they run the same commands: the tarball test
 * (tarball.test.ts) runs their relay start and their Vitest command for real.
 */

const githubSchema = {
  type: 'object',
  required: ['name', 'on', 'jobs'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1 },
    'run-name': { type: 'string' },
    on: {
      type: 'object',
      minProperties: 1,
      additionalProperties: false,
      // each event: null (all of it) or its filters
      properties: Object.fromEntries(['push', 'pull_request', 'workflow_dispatch', 'schedule', 'merge_group'].map((event) => [event, { type: ['object', 'null', 'array'] }])),
    },
    permissions: { type: 'object', additionalProperties: { enum: ['read', 'write', 'none'] } },
    env: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
    jobs: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_-]*$' },
      additionalProperties: {
        type: 'object',
        required: ['runs-on', 'steps'],
        additionalProperties: false,
        properties: {
          name: { type: 'string' },
          'runs-on': { type: 'string', pattern: '^(ubuntu|debian)-' },
          'timeout-minutes': { type: 'integer', minimum: 1 },
          env: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
          permissions: { type: 'object' },
          if: { type: 'string' },
          steps: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              // a step runs an action or a script, never both
              oneOf: [{ required: ['uses'] }, { required: ['run'] }],
              properties: {
                id: { type: 'string' },
                name: { type: 'string', minLength: 1 },
                uses: { type: 'string', pattern: '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[A-Za-z0-9_.-]+$' },
                run: { type: 'string', minLength: 1 },
                with: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
                env: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
                if: { type: 'string', minLength: 1 },
                shell: { type: 'string' },
                'working-directory': { type: 'string' },
                'continue-on-error': { type: 'boolean' },
                'timeout-minutes': { type: 'integer', minimum: 1 },
              },
            },
          },
        },
      },
    },
  },
} as const;

const gitlabSchema = {
  type: 'object',
  minProperties: 1,
  // a job (top-level keys that are not GitLab's own keywords)
  additionalProperties: {
    type: 'object',
    required: ['script'],
    additionalProperties: false,
    properties: {
      stage: { type: 'string' },
      image: { type: 'string', minLength: 1 },
      variables: { type: 'object', additionalProperties: { type: 'string' } },
      before_script: { type: 'array', items: { type: 'string', minLength: 1 } },
      script: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
      after_script: { type: 'array', items: { type: 'string', minLength: 1 } },
      timeout: { type: 'string' },
      tags: { type: 'array', items: { type: 'string' } },
      artifacts: {
        type: 'object',
        additionalProperties: false,
        properties: {
          when: { enum: ['on_success', 'on_failure', 'always'] },
          expire_in: { type: 'string' },
          paths: { type: 'array', minItems: 1, items: { type: 'string' } },
          reports: {
            type: 'object',
            additionalProperties: false,
            required: ['junit'],
            properties: { junit: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } },
          },
        },
      },
    },
  },
} as const;

function validate(schema: object, document: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, strictRequired: false });
  const check = ajv.compile(schema);
  if (check(document)) return [];
  return (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** The shell parses (bash -n), as each platform runs it: GitHub `bash -e {0}`, GitLab one entry at a time. */
async function bashParses(script: string): Promise<string> {
  const result = await execa('bash', ['-n'], { input: script, reject: false });
  return result.exitCode === 0 ? '' : result.stderr;
}

describe('docs/ci/github-actions.yml', () => {
  it('parses, and has the structure of a workflow: on, jobs.<id>.runs-on, steps that each use an action or run a script', () => {
    expect(() => readYaml(GITHUB_WORKFLOW)).not.toThrow();
    expect(validate(githubSchema, githubWorkflow())).toEqual([]);
    // and the schema is not a rubber stamp
    expect(validate(githubSchema, { ...githubWorkflow(), jobs: { x: { 'runs-on': 'ubuntu-24.04', steps: [{ uses: 'actions/checkout@v4', run: 'true' }] } } })).not.toEqual([]);
    expect(validate(githubSchema, { ...githubWorkflow(), jobs: { x: { steps: [{ run: 'true' }] } } })).not.toEqual([]);
  });

  it('every script parses as bash', async () => {
    for (const step of githubJob().steps.filter((s) => s.run)) expect(await bashParses(step.run ?? ''), step.name ?? step.run).toBe('');
  });

  it('runs the matrix with the tested command, as root, and keeps the reports: job summary and artifact', () => {
    expect(githubStep(RUN_MATRIX_STEP).run.trim()).toBe(`sudo env "PATH=$PATH" ${VITEST_COMMAND}`);
    const steps = githubJob().steps;
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with?.path).toBe(REPORTS_DIR);
    expect(upload?.if).toMatch(/!cancelled\(\)|always\(\)/);
    // the job summary is the matrix as Markdown, which describeMatrix writes by default
    expect(DEFAULT_REPORTS).toContain('md');
    expect(githubStep('Summary').run).toContain('cat reports/badmx/*/report.md >> "$GITHUB_STEP_SUMMARY"');
    // the relay and the run use the same test PKI: the one describeMatrix uses by default
    expect(githubStep(START_RELAY_STEP).run).toContain(`--certs ${DEFAULT_CERTS_DIR}`);
    expect(githubJob().env?.RELAY_DIR).toBeTruthy();
  });
});

describe('docs/ci/gitlab-ci.yml', () => {
  it('parses, and has the structure of a job: script, artifacts.reports.junit', () => {
    expect(() => readYaml(GITLAB_CI)).not.toThrow();
    expect(validate(gitlabSchema, gitlabCi())).toEqual([]);
    expect(validate(gitlabSchema, { job: { image: 'node:22' } })).not.toEqual([]);
    expect(validate(gitlabSchema, { job: { script: ['true'], artifacts: { reports: {} } } })).not.toEqual([]);
  });

  it('every script entry parses as bash', async () => {
    const job = gitlabJob();
    for (const entry of [...(job.before_script ?? []), ...job.script, ...(job.after_script ?? [])]) expect(await bashParses(entry), entry).toBe('');
  });

  it('runs the matrix with the tested command and hands GitLab its JUnit XML', () => {
    expect(gitlabScript().runMatrix).toBe(VITEST_COMMAND);
    expect(VITEST_COMMAND).toContain(`--outputFile.junit=${JUNIT_FILE}`);
    expect(gitlabJob().artifacts).toMatchObject({ when: 'always', paths: [REPORTS_DIR], reports: { junit: JUNIT_FILE } });
    expect(gitlabScript().startRelay).toContain(`--certs ${DEFAULT_CERTS_DIR}`);
    expect(gitlabJob().variables?.RELAY_DIR).toBeTruthy();
  });
});

describe('the two recipes', () => {
  it('configure the same relay, and differ only in how it is given the harness DNS', () => {
    const github = withoutSudo(githubStep(START_RELAY_STEP).run).trimEnd().split('\n');
    const gitlab = gitlabScript().startRelay.trimEnd().split('\n');
    const checkLine = 'postfix -c "$RELAY_DIR/etc" check';
    const split = (lines: string[]): [string[], string[]] => {
      const at = lines.indexOf(checkLine);
      expect(at, lines.join('\n')).toBeGreaterThan(0);
      return [lines.slice(0, at + 1), lines.slice(at + 1).filter((line) => !line.startsWith('#'))];
    };
    const [githubSetup, githubStart] = split(github);
    const [gitlabSetup, gitlabStart] = split(gitlab);
    expect(gitlabSetup).toEqual(githubSetup);
    // GitHub: a VM, where badmx exec gives the relay a mount namespace whose resolv.conf names the harness DNS
    expect(githubStart).toEqual([`npx badmx exec --certs ${DEFAULT_CERTS_DIR} -- postfix -c "$RELAY_DIR/etc" start`]);
    // GitLab: an unprivileged container, whose own resolv.conf is pointed there after the installs
    expect(gitlabStart).toEqual([`echo 'nameserver ${DEFAULT_DNS.address}' > /etc/resolv.conf`, 'postfix -c "$RELAY_DIR/etc" start']);
    expect(gitlabJob().variables?.RELAY_DIR).toBe(githubJob().env?.RELAY_DIR);
  });

  it("submit probes where the example's default sender does: 127.0.0.1:587", () => {
    expect(readFileSync(EXAMPLE, 'utf8')).toContain("senders: [process.env.BADMX_RELAY ?? 'smtp:localhost:587']");
    for (const script of [githubStep(START_RELAY_STEP).run, gitlabScript().startRelay]) {
      expect(script).toContain("-M '127.0.0.1:587/inet=127.0.0.1:587 inet n - n - - smtpd'");
      expect(script).toContain('inet_interfaces = 127.0.0.1');
    }
  });

  it('run the example that docs/vitest.md shows, byte for byte', () => {
    const doc = readFileSync(`${ROOT}/docs/vitest.md`, 'utf8');
    const example = readFileSync(EXAMPLE, 'utf8');
    const firstTs = /```ts\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(firstTs).toBe(example);
  });

  it('are explained in docs/ci-recipes.md, which names both files and the example', () => {
    const doc = readFileSync(`${ROOT}/docs/ci-recipes.md`, 'utf8');
    for (const name of ['ci/github-actions.yml', 'ci/gitlab-ci.yml', 'examples/relay.test.ts', VITEST_COMMAND]) expect(doc).toContain(name);
  });
});
