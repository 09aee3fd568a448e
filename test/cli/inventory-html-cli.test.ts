/**
 * `regtopo inventory --output html` on a real pipeline (CI → tests → prod with a replica), rendered
 * by headless Chromium: the DOM has the topology SVG with its flow edges and a row per stage with
 * verdict-coloured statuses, approvals, replica sync and the history; the page loads with no
 * console error and, its CSP allowing nothing but inline style, nothing from the network.
 */
import { copyFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, runChromium } from '../support/chromium.js';
import { pushVersioned } from '../support/promotion-topology.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { uniqueRepo } from '../support/images.js';
import { runCli } from './run-cli.js';

const skip = registrySkipReason() ?? chromiumSkipReason();

describe.skipIf(skip)('CLI: inventory --output html in a browser', () => {
  let regs: TestRegistry[] = [];
  let dir: string;
  let page: string;
  let digest: string;

  beforeAll(async () => {
    regs = await Promise.all([0, 1, 2, 3].map(() => startTestRegistry('plain')));
    const [snapshots, tests, prod, eu] = regs as [TestRegistry, TestRegistry, TestRegistry, TestRegistry];
    const repo = uniqueRepo('app');
    dir = mkdtempSync(join(tmpdir(), 'regtopo-html-'));
    const file = join(dir, 'registries.yaml');
    writeFileSync(file, `version: 1
registries:
  ci-snapshots: {role: ci, url: ${snapshots.url}}
  ci-tests: {role: ci, url: ${tests.url}}
  prod: {role: prod, url: ${prod.url}, replicas: [prod-eu], backup: {target: 'oci:${dir}/backup'}}
  prod-eu: {role: replica, url: ${eu.url}, replicaOf: prod}
promotion:
  images:
    - {name: app, repository: ${repo}, source: ci-snapshots}
  stages:
    - {name: tested, from: ci-snapshots, to: ci-tests, tags: [latest], targetTags: [tested], gates: [{status: tests, equals: passed}]}
    - name: prod
      from: ci-tests
      to: prod
      tags: [tested]
      targetTags: [tested, '{version}']
      gates: [{status: scan, in: [clean, accepted]}]
      approval: {type: manual}
`);
    const f = ['-f', file];
    const built = await pushVersioned(snapshots, repo, 'latest', '2.1.0');
    digest = built.digest;
    const ok = async (args: string[]) => {
      const r = await runCli([...f, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}${r.stdout}`).toBe(0);
    };
    await ok(['status', 'set', `${snapshots.host}/${repo}:latest`, 'tests=passed', '--by', 'ci']);
    await ok(['status', 'set', `${snapshots.host}/${repo}:latest`, 'lint=warnings', '--by', 'ci']);
    await ok(['promote', 'app', '--to', 'tested', '--by', 'ci']);
    await ok(['status', 'set', `${tests.host}/${repo}:tested`, 'scan=clean', '--by', 'scanner']);
    await ok(['approve', `app@${digest}`, '--stage', 'prod', '--by', 'alice', '--comment', 'release <2.1.0>']);
    await ok(['promote', 'app', '--to', 'prod', '--by', 'release-bot']);
    // A newer build nobody tested yet: the source row shows the gate it misses.
    await pushVersioned(snapshots, repo, 'latest', '2.2.0');
    const html = await runCli([...f, 'inventory', '--output', 'html']);
    expect(html.code, html.stderr).toBe(0);
    expect(html.stderr).toBe('');
    page = join(dir, 'inventory.html');
    writeFileSync(page, html.stdout);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(regs.map((r) => r.stop()));
  });

  it('is one self-contained page: no script, no external reference, every value escaped', () => {
    const html = readFileSync(page, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(http|src=/i);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('<svg');
    // The approval comment is not shown, but nothing from the data may open a tag either.
    expect(html).not.toContain('<2.1.0>');
  });

  it('renders in headless Chromium with the topology, stage rows, verdicts, approvals, replicas and history, and no console error', async () => {
    const shot = join(dir, 'inventory.png');
    const [dom, screenshot] = await Promise.all([
      runChromium(['--dump-dom', `file://${page}`]),
      runChromium([`--screenshot=${shot}`, '--window-size=1280,900', '--hide-scrollbars', `file://${page}`]),
    ]);
    expect(dom.code, dom.stderr).toBe(0);
    const out = dom.stdout;
    // Topology: one node per registry and the backup, flow edges by kind.
    for (const node of ['reg_ci_snapshots', 'reg_ci_tests', 'reg_prod', 'reg_prod_eu', 'backup_1']) expect(out).toContain(`data-node="${node}"`);
    expect(out.match(/data-kind="promote"/g)).toHaveLength(2);
    expect(out).toMatch(/data-kind="replicate" data-from="reg_prod" data-to="reg_prod_eu"/);
    expect(out).toMatch(/data-kind="backup" data-from="reg_prod" data-to="backup_1"/);
    // Rows: source (the new untested build), tested, prod.
    expect(out.match(/<tr data-stage="/g)).toHaveLength(3);
    expect(out).toMatch(/data-verdict="missing"[^>]*>tests missing</);
    expect(out).toMatch(/data-verdict="pass"[^>]*>scan=clean</);
    const prodRow = out.slice(out.indexOf('<tr data-stage="prod"'));
    expect(prodRow).toContain(digest.slice(0, 19));
    expect(prodRow).toMatch(/prod: <b>approved<\/b> by alice/);
    expect(prodRow).toMatch(/data-sync="in-sync">prod-eu: in sync/);
    expect(prodRow).toContain('by release-bot');
    // History: both promotions, newest first.
    const history = out.slice(out.indexOf('<table class="history"'));
    expect([...history.matchAll(/<tr><td>[^<]+<\/td><td>([a-z]+)<\/td>/g)].map((m) => m[1])).toEqual(['prod', 'tested']);
    for (const run of [dom, screenshot]) {
      expect(run.stderr).not.toMatch(/Uncaught|ERROR:CONSOLE|Refused to (load|connect)/);
    }
    expect(screenshot.code, screenshot.stderr).toBe(0);
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    // To look at the page: REGTOPO_KEEP_SCREENSHOT=/some/dir keeps the page and the screenshot.
    const keep = process.env.REGTOPO_KEEP_SCREENSHOT;
    if (keep) for (const f of [shot, page]) copyFileSync(f, join(keep, f.slice(f.lastIndexOf('/') + 1)));
  }, 30_000);
});
