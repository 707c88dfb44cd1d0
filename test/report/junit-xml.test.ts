import { describe, expect, it } from 'vitest';
import { renderJunitXml } from '../../src/report/junit-xml.js';
import type { RunDocument } from '../../src/document/run-document.js';
import { DEMO_RUN, HOSTILE, HOSTILE_RUN, loadFixture, WAITS, withWaits } from '../helpers/report-fixtures.js';
import { descendants, parseXml, textOf, type XmlElement } from '../helpers/xml.js';

const demo = loadFixture(DEMO_RUN);
const hostile = loadFixture(HOSTILE_RUN);

/**
 * What the common JUnit schema (the one Jenkins' xunit plugin and GitLab accept) allows:
 * per element, its required and allowed attributes and its allowed children.
 */
const SCHEMA: Record<string, { required: string[]; allowed: string[]; children: string[] }> = {
  testsuites: { required: [], allowed: ['name', 'time', 'tests', 'failures', 'errors'], children: ['testsuite'] },
  testsuite: {
    required: ['name', 'tests', 'failures', 'errors'],
    allowed: ['group', 'time', 'skipped', 'timestamp', 'hostname', 'id', 'package', 'file', 'log', 'url'],
    children: ['testsuite', 'properties', 'testcase', 'system-out', 'system-err'],
  },
  properties: { required: [], allowed: [], children: ['property'] },
  property: { required: ['name', 'value'], allowed: [], children: [] },
  testcase: { required: ['name'], allowed: ['time', 'classname', 'group'], children: ['skipped', 'error', 'failure', 'system-out', 'system-err'] },
  failure: { required: [], allowed: ['type', 'message'], children: [] },
  error: { required: [], allowed: ['type', 'message'], children: [] },
  skipped: { required: [], allowed: ['type', 'message'], children: [] },
  'system-out': { required: [], allowed: [], children: [] },
  'system-err': { required: [], allowed: [], children: [] },
};
const TIME = /^\d+(\.\d+)?$/;

function conforms(element: XmlElement): void {
  const rule = SCHEMA[element.name];
  expect(rule, `<${element.name}> is not a JUnit element`).toBeDefined();
  if (!rule) return;
  for (const name of rule.required) expect(element.attributes, `<${element.name}> needs ${name}`).toHaveProperty(name);
  for (const name of Object.keys(element.attributes)) expect([...rule.required, ...rule.allowed], `<${element.name} ${name}>`).toContain(name);
  for (const child of element.children) expect(rule.children, `<${child.name}> inside <${element.name}>`).toContain(child.name);
  if (element.attributes.time !== undefined) expect(element.attributes.time).toMatch(TIME);
  if (element.attributes.timestamp !== undefined) expect(element.attributes.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  element.children.forEach(conforms);
}

const n = (value: string | undefined): number => Number(value);

describe('the JUnit XML', () => {
  it.each([
    ['demo', demo],
    ['hostile', hostile],
  ])('%s: parses, and stays within the common JUnit schema', (_name, run: RunDocument) => {
    const root = parseXml(renderJunitXml(run));
    expect(root.name).toBe('testsuites');
    conforms(root);
  });

  it.each([
    ['demo', demo],
    ['hostile', hostile],
  ])('%s: a testsuite per sender, a testcase per profile named by profile with the sender as classname; counts add up', (_name, run: RunDocument) => {
    const root = parseXml(renderJunitXml(run));
    const suites = root.children.filter((c) => c.name === 'testsuite');
    expect(suites.map((s) => s.attributes.name)).toEqual(run.senders.map((s) => s.label));
    for (const suite of suites) {
      const sender = suite.attributes.name ?? '';
      const cases = suite.children.filter((c) => c.name === 'testcase');
      expect(cases.map((c) => c.attributes.name).sort()).toEqual(run.profiles.map((p) => p.name).sort());
      for (const testcase of cases) expect(testcase.attributes.classname).toBe(sender);
      const ofSender = run.cells.filter((c) => c.sender === sender);
      const failures = cases.filter((c) => c.children.some((x) => x.name === 'failure'));
      const skipped = cases.filter((c) => c.children.some((x) => x.name === 'skipped'));
      const errors = cases.filter((c) => c.children.some((x) => x.name === 'error'));
      expect(n(suite.attributes.tests)).toBe(cases.length);
      expect(n(suite.attributes.failures)).toBe(failures.length);
      expect(failures.length).toBe(ofSender.filter((c) => c.verdict === 'fail').length);
      expect(n(suite.attributes.skipped)).toBe(skipped.length);
      expect(skipped.length).toBe(ofSender.filter((c) => c.verdict === 'pass' && !c.settled).length);
      expect(n(suite.attributes.errors)).toBe(errors.length);
      expect(errors.length).toBe(ofSender.filter((c) => c.verdict === 'inconclusive').length);
    }
    expect(n(root.attributes.tests)).toBe(run.cells.length);
    expect(n(root.attributes.failures)).toBe(run.summary.fail);
    expect(n(root.attributes.errors)).toBe(run.summary.inconclusive);
    expect(descendants(root).filter((e) => e.name === 'failure')).toHaveLength(run.summary.fail);
  });

  it('a failure carries the reason as message, the outcome as type, and the evidence as body', () => {
    const root = parseXml(renderJunitXml(demo));
    const testcase = descendants(root).find((e) => e.name === 'testcase' && e.attributes.classname === 'builtin:opportunistic' && e.attributes.name === 'handshake-failure');
    const failure = testcase?.children.find((c) => c.name === 'failure');
    expect(failure?.attributes.type).toBe('plaintext-after-tls-failure');
    expect(failure?.attributes.message).toBe(
      'Downgraded → plaintext: delivered in plaintext after TLS failed (downgrade), but must not deliver: the receiver cannot be reached over authenticated TLS 1.2 or later',
    );
    const body = textOf(failure as XmlElement);
    expect(body).toContain('alert: handshake_failure');
    expect(body).toMatch(/connection 1 from 127\.0\.0\.1:\d+, \+0 ms to \+\d+ ms: HELO builtin\.badmx\.invalid; STARTTLS → 220; TLS failed \(profile, handshake_failure\)/);
    expect(body).toMatch(/connection 2 .*DATA → 250 \(accepted\)/);
    expect(body).toContain('received: Received: from builtin.badmx.invalid');
    // a passing cell keeps its evidence in system-out
    const pass = descendants(root).find((e) => e.name === 'testcase' && e.attributes.classname === 'builtin:strict' && e.attributes.name === 'tls1.3');
    expect(pass?.children.map((c) => c.name)).toEqual(['system-out']);
    expect(textOf(pass as XmlElement)).toMatch(/tls: TLSv1\.3 TLS_/);
  });

  it('an inconclusive cell is an <error type="inconclusive">, never a <failure> or <skipped>, with why and the bounce in its body', () => {
    const root = parseXml(renderJunitXml(hostile));
    conforms(root);
    const errors = descendants(root).filter((e) => e.name === 'error');
    expect(errors).toHaveLength(hostile.summary.inconclusive);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error.attributes.type).toBe('inconclusive');
      expect(error.attributes.message).toMatch(/^INCONCLUSIVE \(.+\): /);
      expect(error.parent?.children.map((c) => c.name)).toEqual(['error']);
    }
    const relay = root.children.find((s) => s.attributes.name === HOSTILE.sender) as XmlElement;
    const bounced = relay.children.find((c) => c.attributes.name === 'sha1-signature')?.children.find((c) => c.name === 'error') as XmlElement;
    expect(bounced.attributes.message).toMatch(/^INCONCLUSIVE \(bounced, not for TLS\): the sender gave up without contacting the receiver, not for TLS: 5\.4\.4 smtp; 554 5\.4\.4 <script>/);
    const body = textOf(bounced);
    expect(body).toContain('not tested: the sender gave up without contacting the receiver');
    // the sender's own words parse back as text, control bytes made visible
    expect(body).toContain('decisive bounce: failed 5.4.4 (dns; <i>mx</i>.sha1-signature.badmx.test): smtp; 554 5.4.4 <script>window.__badmxPwned=4</script> Host not found');
    expect(body).toContain('type=A \\x01\\x1b[31mred');
    expect(body).toMatch(/^bounce 1 at .*: delayed 4\.4\.3 /m);
    expect(body).toContain('submission attempts: 1');
    const unreachable = relay.children.find((c) => c.attributes.name === 'untrusted-root');
    expect(textOf(unreachable as XmlElement)).toContain('submission attempts: 3');
    // the diagnosed sender: its suite is all errors, and says why once, as a property
    const strict = root.children.find((s) => s.attributes.name === HOSTILE.diagnosedSender) as XmlElement;
    expect(strict.attributes).toMatchObject({ errors: String(hostile.profiles.length), failures: '0', skipped: '0' });
    const diagnosis = descendants(strict).find((e) => e.name === 'property' && e.attributes.name === 'badmx.sender.diagnosis');
    expect(diagnosis?.attributes.value).toMatch(/^delivered to no control profile, so its refusals prove nothing: .*\(alert unknown_ca\)/);
    // the demo has nothing inconclusive: no error anywhere
    expect(descendants(parseXml(renderJunitXml(demo))).filter((e) => e.name === 'error')).toHaveLength(0);
  });

  it('timestamps and times come from the run: each suite starts when its sender did', () => {
    const root = parseXml(renderJunitXml(demo));
    const [first, second] = root.children;
    expect(first?.attributes.timestamp).toBe(demo.senders[0]?.window?.start.slice(0, 19));
    expect(second?.attributes.timestamp).toBe(demo.senders[1]?.window?.start.slice(0, 19));
    const window = demo.senders[0]?.window;
    expect(n(first?.attributes.time)).toBeCloseTo((Date.parse(window?.end ?? '') - Date.parse(window?.start ?? '')) / 1000, 3);
  });

  it('unsettled: a provisional pass is <skipped>, a failure stays a <failure> that says it was unsettled', () => {
    const root = parseXml(renderJunitXml(hostile));
    const relay = root.children.find((s) => s.attributes.name === HOSTILE.sender) as XmlElement;
    const expired = relay.children.find((c) => c.attributes.name === 'expired');
    expect(expired?.children.find((c) => c.name === 'skipped')?.attributes.message).toMatch(/^unsettled: Refused when the deadline came, so the pass is provisional: /);
    const never = relay.children.find((c) => c.attributes.name === 'tls1.3');
    expect(never?.children.find((c) => c.name === 'failure')?.attributes).toMatchObject({
      type: 'not-attempted',
      message: expect.stringMatching(/^No attempt: never connected, .*\(unsettled: the deadline came first\)$/) as unknown,
    });
  });

  it('says what settled each cell and how long was waited, in its evidence; the sender\'s stated retries as a property', () => {
    const waits = withWaits(demo);
    const root = parseXml(renderJunitXml(waits));
    conforms(root);
    const strict = root.children.find((s) => s.attributes.name === WAITS.sender) as XmlElement;
    expect(descendants(strict).find((e) => e.name === 'property' && e.attributes.name === 'badmx.sender.retries')?.attributes.value).toBe(WAITS.retriesText);
    expect(descendants(root.children[0] as XmlElement).some((e) => e.attributes.name === 'badmx.sender.retries')).toBe(false);
    // the unsettled pass: skipped, saying how long was waited; its evidence says why that was not enough
    const expired = strict.children.find((c) => c.attributes.name === WAITS.unsettledProfile) as XmlElement;
    expect(expired.children.find((c) => c.name === 'skipped')?.attributes.message).toMatch(/^unsettled: Refused when the deadline came \(waited 1 min\), so the pass is provisional: /);
    expect(textOf(expired)).toContain(`unsettled: waited 1 min: ${WAITS.unsettledNote.replace('\u0007', '\\x07')}`);
    const tls13 = strict.children.find((c) => c.attributes.name === 'tls1.3') as XmlElement;
    expect(textOf(tls13)).toContain(`settled: by delivery after 1.2 s: ${WAITS.deliveredNote}`);
    // an unsettled failure says how long was waited in its message
    const failed = { ...waits, cells: waits.cells.map((c) => (c.sender === 'builtin:opportunistic' && c.profile === 'tls1.0' ? { ...c, settled: false, settle: { by: null, waitedMs: 90_000, note: 'n' } } : c)) };
    const failure = descendants(parseXml(renderJunitXml(failed))).find((e) => e.name === 'failure' && e.parent?.attributes.name === 'tls1.0');
    expect(failure?.attributes.message).toMatch(/\(unsettled: the deadline came first, waited 1 min 30 s\)$/);
  });

  it('hostile strings survive as text: attributes and bodies parse back to what run.json says', () => {
    const root = parseXml(renderJunitXml(hostile));
    const relay = root.children.find((s) => s.attributes.name === HOSTILE.sender);
    expect(relay).toBeDefined();
    const plain = relay?.children.find((c) => c.attributes.name === 'no-starttls');
    expect(plain?.attributes.classname).toBe(HOSTILE.sender);
    // attribute values are one line: the reason's line break is folded
    expect(plain?.children[0]?.attributes.message).toBe(`Plaintext: ${HOSTILE.multilineReason.replace('\n', ' ')}`);
    expect(textOf(plain as XmlElement)).toContain(`HELO ${HOSTILE.scriptHelo}`);
    const tls10 = relay?.children.find((c) => c.attributes.name === 'tls1.0');
    expect(textOf(tls10 as XmlElement)).toContain('HELO evil\\x01\\x1b[31mred');
    const notes = descendants(relay as XmlElement).filter((e) => e.name === 'property' && e.attributes.name === 'badmx.sender.note');
    expect(notes[1]?.attributes.value).toBe('hostile note: <script>window.__badmxPwned=3</script> & "quotes" | pipes');
  });

  it('a run that stopped early adds one <error>: the harness, not a sender, failed', () => {
    const stopped = { ...demo, run: { ...demo.run, status: 'error' as const, error: 'cannot reach relay 127.0.0.1:2626: ECONNREFUSED <x>' } };
    const root = parseXml(renderJunitXml(stopped));
    conforms(root);
    expect(root.attributes).toMatchObject({ errors: '1', tests: String(demo.cells.length + 1) });
    // with inconclusive cells, the run's error adds to theirs
    const hostileStopped = parseXml(renderJunitXml({ ...hostile, run: { ...hostile.run, status: 'error' as const, error: 'stopped' } }));
    expect(hostileStopped.attributes).toMatchObject({ errors: String(hostile.summary.inconclusive + 1), tests: String(hostile.cells.length + 1) });
    const error = descendants(root).find((e) => e.name === 'error');
    expect(error?.attributes).toEqual({ type: 'run-error', message: 'the run stopped early: cannot reach relay 127.0.0.1:2626: ECONNREFUSED <x>' });
  });
});
