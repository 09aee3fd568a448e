/**
 * Multi-image commands on a terminal draw a live line per image being copied: its name, blobs and
 * bytes done of its planned total, percent (rate and ETA once bytes move, drawn at most every
 * 100 ms, so not asserted here: test/unit/progress-display.test.ts covers them). `-q` draws nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, pushImage, uniqueRepo } from '../support/images.js';
import { startMirrorEnv, type MirrorEnv } from '../support/mirror-env.js';
import { promotionFixture, startPromotionRegistries, type PromotionRegistries } from '../support/promotion-topology.js';
import { registrySkipReason } from '../support/registry.js';
import { hasScript, onTerminal } from './on-terminal.js';
import { runCli } from './run-cli.js';

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

describe.skipIf(registrySkipReason() || !hasScript)('CLI: per-image progress of multi-image commands on a terminal', () => {
  let mirrors: MirrorEnv;
  let regs: PromotionRegistries;
  beforeAll(async () => {
    [mirrors, regs] = await Promise.all([startMirrorEnv(), startPromotionRegistries()]);
  });
  afterAll(async () => {
    await Promise.all([mirrors?.stop(), regs?.stop()]);
  });

  it('mirror: a line naming each tag being copied with its planned blobs and bytes; -q draws none', async () => {
    const repo = uniqueRepo('library');
    const one = buildImage({ layers: [300_000, 200_000] });
    const two = buildImage({ layers: [400_000] });
    await mirrors.seed(repo, '1.0.0', one);
    await mirrors.seed(repo, '1.1.0', two);
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-mprog-'));
    const file = join(dir, 'registries.yaml');
    writeFileSync(file, mirrors.yaml([{ name: 'app', repository: repo, tags: ['1.0.0', '1.1.0'] }]));

    const r = await onTerminal(['-f', file, 'mirror']);
    expect(r.code, r.output).toBe(0);
    const size = (b: typeof one) => b.config.size + b.layers.reduce((n, l) => n + l.size, 0);
    // Each image's plan is drawn the moment it is known, under the image's name.
    expect(r.output).toContain(`${mirrors.archive.host}/${repo}:1.0.0  blobs 0/3  0 B/${kib(size(one))}  0%`);
    expect(r.output).toContain(`${mirrors.archive.host}/${repo}:1.1.0  blobs 0/2  0 B/${kib(size(two))}  0%`);
    expect(r.output).toMatch(/mirror ok: 2 tags/);

    await mirrors.seed(repo, '1.2.0', buildImage({ layers: [1000] }));
    writeFileSync(file, mirrors.yaml([{ name: 'app', repository: repo, tags: ['1.2.0'] }]));
    const quiet = await onTerminal(['-f', file, '-q', 'mirror']);
    expect(quiet.code, quiet.output).toBe(0);
    expect(quiet.output).not.toContain('blobs ');
  });

  it('on a narrow terminal the image name is cut from the left so the numbers fit', async () => {
    const repo = uniqueRepo('library');
    const one = buildImage({ layers: [300_000, 200_000] });
    await mirrors.seed(repo, '1.0.0', one);
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-mprog-'));
    const file = join(dir, 'registries.yaml');
    writeFileSync(file, mirrors.yaml([{ name: 'app', repository: repo, tags: ['1.0.0'] }]));
    const r = await onTerminal(['-f', file, 'mirror'], 60);
    expect(r.code, r.output).toBe(0);
    const drawn = r.output.split(/\r\x1b\[2K/).map((l) => l.split(/\r?\n/)[0]!).filter((l) => l.includes('blobs '));
    expect(drawn.length).toBeGreaterThan(0);
    for (const line of drawn) expect(line.length, line).toBeLessThan(60);
    const size = one.config.size + one.layers.reduce((n, l) => n + l.size, 0);
    expect(drawn[0]).toMatch(new RegExp(`^…\\S*:1\\.0\\.0  blobs 0/3  0 B/${kib(size).replace('.', '\\.')}  0%$`));
  });

  it('promote: the line names the promotion image while its copy runs', async () => {
    const fx = promotionFixture(regs, { noApproval: true });
    const built = buildImage({ layers: [250_000, 350_000] });
    await pushImage(regs.snapshots.url, fx.repo, 'latest', built);
    const set = await runCli(['-f', fx.file, 'status', 'set', `${regs.snapshots.host}/${fx.repo}:latest`, 'tests=passed', '--by', 'ci']);
    expect(set.code, set.stderr).toBe(0);

    const r = await onTerminal(['-f', fx.file, 'promote', 'app', '--to', 'tested']);
    expect(r.code, r.output).toBe(0);
    const total = built.config.size + built.layers.reduce((n, l) => n + l.size, 0);
    expect(r.output).toContain(`app  blobs 0/3  0 B/${kib(total)}  0%`);
    expect(r.output).toContain(`app → tested: promoted ${built.digest}`);
  });
});
