import type { Cell, RunDocument } from '../document/run-document.js';
import { bounceText, decisiveBounce, inconclusiveCause, outcomeHeadline, unsettledWait } from './cell-label.js';
import { retriesText } from './sender-kind.js';
import { escapeMarkup, oneLine } from './escape.js';
import { cellEvidenceLines } from './evidence-text.js';
import { elapsedMs } from './format-time.js';
import { buildMatrix } from './matrix-model.js';
import type { Renderer } from './renderer.js';

const attr = (value: string): string => escapeMarkup(oneLine(value));
const text = (value: string): string => escapeMarkup(value);

/** Seconds with millisecond precision, as JUnit's time attributes want them ("0.183"). */
function seconds(ms: number | null): string {
  return ((ms ?? 0) / 1000).toFixed(3);
}

/** JUnit's timestamp: ISO 8601 without zone or fraction (the common schema's pattern); badmx times are UTC. */
function timestamp(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19);
}

/** Why a cell is unsettled, in a few words: "the deadline came first", and how long was waited when the run recorded it. */
function unsettledWords(cell: Cell): string {
  const wait = unsettledWait(cell);
  return wait !== null ? `the deadline came first, ${wait}` : 'the deadline came first';
}

/**
 * How a cell is reported. An inconclusive verdict is an <error type="inconclusive">: the
 * probe was never actually tested (not submitted, the relay unreachable, a bounce for a
 * reason that is not TLS, or a sender that delivered to no control profile), so it is
 * neither a <failure> (nothing shows the sender broke the policy) nor <skipped> (someone must
 * look: the sender's path or the harness kept it from being tested); the body says why, in
 * the sender's own words where it bounced.
 * A failing verdict is a <failure> whether or not the cell settled: it fails the run's exit
 * code too, and a sender that has not delivered over TLS by the deadline has failed an
 * expectation to deliver. A passing verdict on an unsettled cell is <skipped>: the pass is
 * provisional (a queueing relay may still deliver in plaintext after the deadline), so it
 * must not count as a pass, but it is not an <error> either: that would turn every relay
 * comparison red, since a relay's refused cells can only ever end at the deadline.
 */
function testcase(cell: Cell, run: RunDocument): string {
  const profile = run.profiles.find((p) => p.name === cell.profile);
  const sender = run.senders.find((s) => s.label === cell.sender);
  const body = cellEvidenceLines(cell, profile).join('\n');
  const open = `    <testcase name="${attr(cell.profile)}" classname="${attr(cell.sender)}" time="${seconds(elapsedMs(cell.firstSeen, cell.lastSeen))}">`;
  if (cell.verdict === 'inconclusive') {
    const bounce = decisiveBounce(cell);
    const message = `INCONCLUSIVE (${inconclusiveCause(cell)}): ${cell.inconclusive?.detail ?? cell.reason}`;
    const lines = [
      `not tested: ${cell.inconclusive?.detail ?? cell.reason}`,
      ...(bounce ? [`decisive bounce: ${bounceText(bounce)}`] : []),
      ...(sender?.diagnosis && sender.diagnosis !== cell.inconclusive?.detail ? [`sender: ${sender.diagnosis}`] : []),
      '',
      body,
    ];
    return `${open}\n      <error message="${attr(message)}" type="inconclusive">${text(lines.join('\n'))}</error>\n    </testcase>`;
  }
  if (cell.verdict === 'fail') {
    const message = `${outcomeHeadline(cell)}: ${cell.reason}${cell.settled ? '' : ` (unsettled: ${unsettledWords(cell)})`}`;
    return `${open}\n      <failure message="${attr(message)}" type="${attr(cell.outcome)}">${text(body)}</failure>\n    </testcase>`;
  }
  if (!cell.settled) {
    const wait = unsettledWait(cell);
    const message = `unsettled: ${outcomeHeadline(cell)} when the deadline came${wait !== null ? ` (${wait})` : ''}, so the pass is provisional: ${cell.reason}`;
    return `${open}\n      <skipped message="${attr(message)}"/>\n      <system-out>${text(body)}</system-out>\n    </testcase>`;
  }
  return `${open}\n      <system-out>${text(body)}</system-out>\n    </testcase>`;
}

/**
 * JUnit XML for CI (Jenkins, GitLab, GitHub test reporters): one <testsuite> per sender,
 * one <testcase> per cell named by profile with the sender as classname. Stays within the
 * common JUnit schema (testsuites carries only name/tests/failures/errors/time).
 */
export function renderJunitXml(run: RunDocument): string {
  const matrix = buildMatrix(run);
  const suites = matrix.senders.map((sender, index) => {
    const cells = matrix.rows.map((row) => row.cells[index]).filter((c): c is Cell => c !== null && c !== undefined);
    const failures = cells.filter((c) => c.verdict === 'fail').length;
    const inconclusive = cells.filter((c) => c.verdict === 'inconclusive').length;
    const skipped = cells.filter((c) => c.verdict === 'pass' && !c.settled).length;
    const start = sender.window?.start ?? run.run.startedAt;
    const time = seconds(sender.window ? elapsedMs(sender.window.start, sender.window.end) : null);
    const properties = [
      ['badmx.run', run.run.id],
      ['badmx.policy', run.policy.name],
      ['badmx.zone', run.run.zone],
      ['badmx.version', run.tool.version],
      ['badmx.sender.spec', sender.spec],
      ['badmx.sender.kind', sender.kind],
      ...(sender.software ? [['badmx.sender.software', `${sender.software.name} ${sender.software.version}`] as [string, string]] : []),
      ...sender.notes.map((note) => ['badmx.sender.note', note]),
      ...(sender.retries ? [['badmx.sender.retries', retriesText(sender.retries)] as [string, string]] : []),
      ...(sender.diagnosis ? [['badmx.sender.diagnosis', sender.diagnosis] as [string, string]] : []),
    ]
      .map(([name, value]) => `      <property name="${attr(name ?? '')}" value="${attr(value ?? '')}"/>`)
      .join('\n');
    return [
      `  <testsuite name="${attr(sender.label)}" id="${index}" package="badmx" tests="${cells.length}" failures="${failures}" errors="${inconclusive}" skipped="${skipped}" time="${time}" timestamp="${timestamp(start)}">`,
      `    <properties>\n${properties}\n    </properties>`,
      ...cells.map((cell) => testcase(cell, run)),
      '  </testsuite>',
    ].join('\n');
  });
  // A run that stopped early (a relay went away, a command vanished) is the harness failing, not a sender: JUnit's <error>.
  if (run.run.status === 'error') {
    suites.push(
      [
        `  <testsuite name="badmx" id="${suites.length}" package="badmx" tests="1" failures="0" errors="1" skipped="0" time="0.000" timestamp="${timestamp(run.run.startedAt)}">`,
        `    <testcase name="run" classname="badmx" time="0.000">`,
        `      <error message="${attr(`the run stopped early: ${run.run.error ?? 'unknown error'}`)}" type="run-error"/>`,
        '    </testcase>',
        '  </testsuite>',
      ].join('\n'),
    );
  }
  const errors = (run.run.status === 'error' ? 1 : 0) + run.cells.filter((c) => c.verdict === 'inconclusive').length;
  const total = run.cells.length + (run.run.status === 'error' ? 1 : 0);
  const failures = run.cells.filter((c) => c.verdict === 'fail').length;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="${attr(`badmx run ${run.run.id}, policy ${run.policy.name}`)}" tests="${total}" failures="${failures}" errors="${errors}" time="${seconds(elapsedMs(run.run.startedAt, run.run.finishedAt))}">\n` +
    `${suites.join('\n')}\n</testsuites>\n`
  );
}

export const junitXml: Renderer = {
  name: 'junit',
  fileName: 'junit.xml',
  description: 'JUnit XML for CI: a testsuite per sender, a testcase per profile; failures carry the reason and evidence, inconclusive cells are errors',
  render: renderJunitXml,
};
