/**
 * examples/library-example.ts, the program a user would write: it imports only the package root
 * (`regtopo`, resolved through package.json "exports" to the built dist/index.js, as for any user),
 * and runs in a child Node against real registries. Node 20 cannot run TypeScript, so the test
 * strips the types with esbuild into a directory inside the package (the package's self-reference
 * by name works only there) and runs the output, which works the same on Node 20, 24 and 26.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, pushImage, rawGetManifest } from '../support/images.js';
import { promotionFixture, startPromotionRegistries, type PromotionRegistries } from '../support/promotion-topology.js';
import { registrySkipReason } from '../support/registry.js';

const ROOT = join(import.meta.dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/library-example.ts');
const skip = registrySkipReason();

describe('examples/library-example.ts', () => {
  it('imports nothing but the package root (and node: built-ins)', () => {
    const specifiers = [...readFileSync(EXAMPLE, 'utf8').matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
    expect(specifiers).toContain('regtopo');
    expect(specifiers.filter((s) => s !== 'regtopo' && !s.startsWith('node:'))).toEqual([]);
  });
});

describe.skipIf(skip)('examples/library-example.ts against real registries', () => {
  let regs: PromotionRegistries;
  const outDir = join(ROOT, '.tmp', `example-${process.pid}`);
  let program: string;
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/index.js'))) throw new Error('dist/index.js missing: run `npm run build` first (the example imports the built package)');
    mkdirSync(outDir, { recursive: true });
    program = join(outDir, 'library-example.mjs');
    const { code } = await transform(readFileSync(EXAMPLE, 'utf8'), { loader: 'ts', format: 'esm', target: 'node20' });
    writeFileSync(program, code);
    regs = await startPromotionRegistries();
  });
  afterAll(async () => {
    rmSync(outDir, { recursive: true, force: true });
    await regs?.stop();
  });

  it('copies an image, records and reads its statuses, and plans its promotion', async () => {
    const fx = promotionFixture(regs, { noApproval: true });
    await fx.client.close();
    const built = buildImage({ layers: [4096, 1024] });
    // Another registry, so the blobs travel (a same-registry copy would mount them).
    await pushImage(regs.prod.url, 'upstream/app', 'v1', built);
    const source = `${regs.prod.host}/upstream/app:v1`;
    const target = `${regs.snapshots.host}/${fx.repo}:latest`;
    // HOME without a docker config: the example's client is anonymous, as these registries want.
    const run = await promisify(execFile)(process.execPath, [program, fx.file, source, target, 'app', 'tested'], {
      cwd: fx.dir, env: { PATH: process.env.PATH, HOME: fx.dir, REGTOPO_USER: 'example-bot' },
    });
    const out = JSON.parse(run.stdout) as { copied: { target: string; digest: string; blobs: { copied: number } }; statuses: unknown[]; plan: Record<string, unknown> };
    expect(out.copied).toMatchObject({ target, digest: built.digest, blobs: { copied: 3 } });
    expect(out.statuses).toEqual([{ name: 'tests', value: 'passed', by: 'example-bot' }]);
    expect(out.plan).toEqual({ action: 'copy', gatesPassed: true, approval: 'not-required', targets: [`${regs.tests.host}/${fx.repo}:tested`] });
    // What the example reports is what the registry holds.
    expect((await rawGetManifest(regs.snapshots.url, fx.repo, 'latest')).digest).toBe(built.digest);
  });

  it('type-checks against the published typings (dist/index.d.ts through package.json "exports")', async () => {
    // No `paths` here: `regtopo` resolves as it does for a user, to the built declaration files.
    const tsconfig = join(outDir, 'tsconfig.json');
    writeFileSync(tsconfig, JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), compilerOptions: { noEmit: true, rootDir: ROOT, types: ['node'] }, files: [EXAMPLE] }));
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const checked = await promisify(execFile)(process.execPath, [tsc, '-p', tsconfig, '--traceResolution'], { cwd: ROOT, maxBuffer: 64 << 20 });
    expect(checked.stdout).toContain(`Module name 'regtopo' was successfully resolved to '${join(ROOT, 'dist/index.d.ts')}'`);
  }, 60_000);

  it('an invalid topology is exit 2 with the file:line diagnostics on stderr', async () => {
    const bad = join(outDir, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nregistries:\n  x: {role: nonsense, url: http://127.0.0.1:1}\n');
    const failed = await promisify(execFile)(process.execPath, [program, bad, 'a', 'b', 'app', 'tested'], { env: { PATH: process.env.PATH } }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining(`${bad}:3:`) });
  });
});
