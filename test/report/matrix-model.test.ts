import { describe, expect, it } from 'vitest';
import { buildMatrix, profileGroup, profileSuite, SUITE_TITLES } from '../../src/report/matrix-model.js';
import { renderSvgInfographic } from '../../src/report/svg-infographic.js';
import { DEMO_RUN, HOSTILE_RUN, loadFixture, MIXED_SUITES_RUN, MTA_STS_RUN } from '../helpers/report-fixtures.js';

describe('the matrix model: profiles grouped by suite', () => {
  it('a run of the study\'s profiles alone is one suite, not shown by suite, grouped as before suites', () => {
    for (const file of [DEMO_RUN, HOSTILE_RUN]) {
      const run = loadFixture(file);
      const matrix = buildMatrix(run);
      expect(matrix.bySuite).toBe(false);
      expect(matrix.suites.map((s) => s.suite)).toEqual(['study']);
      expect(matrix.groups.map((g) => g.title)).toEqual(['STARTTLS', 'TLS version', 'Certificate']);
      expect(matrix.rows).toHaveLength(run.profiles.length);
      // these runs predate suites: a profile without one is the study's
      expect(run.profiles.every((p) => p.suite === undefined && profileSuite(p) === 'study')).toBe(true);
    }
  });

  it('a run of the MTA-STS suite alone is shown by suite, its profiles grouped by what their policy host hands a sender', () => {
    const run = loadFixture(MTA_STS_RUN);
    const matrix = buildMatrix(run);
    expect(matrix.bySuite).toBe(true);
    expect(matrix.suites.map((s) => [s.suite, s.title])).toEqual([['mta-sts', 'Receivers that declare a policy: MTA-STS (RFC 8461)']]);
    expect(matrix.groups.map((g) => [g.title, g.rows.map((r) => r.profile.name)])).toEqual([
      [
        'MTA-STS policy enforced',
        ['sts-enforce-valid', 'sts-enforce-no-starttls', 'sts-enforce-self-signed', 'sts-enforce-expired', 'sts-enforce-wrong-host', 'sts-enforce-mx-mismatch'],
      ],
      ['MTA-STS policy in testing mode', ['sts-testing-self-signed']],
      ['MTA-STS policy not fetchable', ['sts-policy-unreachable', 'sts-policy-bad-certificate']],
    ]);
    // a policy's no-STARTTLS or self-signed MX is not a study group: the policy is the question
    const certificate = { issuer: 'self', names: 'profile', validity: 'current', signature: 'sha256', chain: 'with-intermediate' } as const;
    expect(profileGroup({ starttls: 'absent', certificate, mtaSts: { mode: 'enforce', mx: 'covered', policy: 'served', maxAge: 1 } })).toBe('sts-enforce');
    expect(profileGroup({ starttls: 'offer', certificate, mtaSts: { mode: 'testing', mx: 'covered', policy: 'served', maxAge: 1 } })).toBe('sts-testing');
    expect(profileGroup({ starttls: 'offer', certificate, mtaSts: { mode: 'enforce', mx: 'covered', policy: 'unreachable', maxAge: 1 } })).toBe('sts-unfetchable');
    expect(profileGroup({ starttls: 'offer', certificate, mtaSts: null })).toBe('certificate');
  });

  it('a run of both suites: the study\'s first, each suite\'s rows together, every cell once', () => {
    const run = loadFixture(MIXED_SUITES_RUN);
    const matrix = buildMatrix(run);
    expect(matrix.bySuite).toBe(true);
    expect(matrix.suites.map((s) => [s.title, s.rows.map((r) => r.profile.name)])).toEqual([
      [SUITE_TITLES.study, ['no-starttls', 'tls1.3', 'self-signed']],
      [SUITE_TITLES['mta-sts'], ['sts-enforce-valid', 'sts-enforce-self-signed', 'sts-policy-bad-certificate']],
    ]);
    expect(matrix.rows.map((r) => r.profile.name)).toEqual(matrix.suites.flatMap((s) => s.rows.map((r) => r.profile.name)));
    expect(matrix.groups.map((g) => `${g.suite}/${g.group}`)).toEqual([
      'study/transport',
      'study/tls-version',
      'study/certificate',
      'mta-sts/sts-enforce',
      'mta-sts/sts-unfetchable',
    ]);
    expect(matrix.rows.flatMap((r) => r.cells).filter((c) => c !== null)).toHaveLength(run.cells.length);
  });

  it('the SVG infographic shows the MTA-STS groups by their titles', () => {
    const svg = renderSvgInfographic(loadFixture(MTA_STS_RUN));
    for (const title of ['MTA-STS POLICY ENFORCED', 'MTA-STS POLICY IN TESTING MODE', 'MTA-STS POLICY NOT FETCHABLE']) expect(svg).toContain(`>${title}</text>`);
  });
});
