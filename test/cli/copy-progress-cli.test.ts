/**
 * The progress line as a user sees it: the built CLI run under a pseudo-terminal (util-linux
 * `script`), so stderr is a TTY and the line is drawn. The plan is drawn the moment it is known.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRegistryBinary, startLocalRegistry, type LocalRegistry } from '../../src/demo/local-registry.js';
import { allBlobs, buildImage, MT, uniqueRepo } from '../support/images.js';
import { entryFor, rawLayout } from '../support/oci-layout-builder.js';

const BIN = join(import.meta.dirname, '../../bin/regtopo.js');
const SCRIPT = '/usr/bin/script';

function onTerminal(args: string[]): Promise<{ code: number; output: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const env = { ...process.env, DOCKER_CONFIG: mkdtempSync(join(tmpdir(), 'regtopo-tty-cfg-')), XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'regtopo-tty-cache-')) };
  return new Promise((resolve) => {
    execFile(SCRIPT, ['-qec', command, '/dev/null'], { env, cwd: mkdtempSync(join(tmpdir(), 'regtopo-tty-cwd-')) }, (err, stdout) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, output: stdout });
    });
  });
}

describe.skipIf(!findRegistryBinary() || !existsSync(SCRIPT))('CLI: copy progress on a terminal', () => {
  let reg: LocalRegistry;
  beforeAll(async () => {
    reg = await startLocalRegistry();
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('draws blobs and bytes done of the planned total, then a summary with the rate', async () => {
    const layout = await rawLayout();
    const image = buildImage({ layers: [300_000, 500_000] });
    await layout.addBuilt(image);
    await layout.writeIndex([entryFor(image, MT.ociManifest, 'v1')]);
    const total = allBlobs(image).reduce((n, b) => n + b.size, 0);
    const r = await onTerminal(['copy', `oci:${layout.dir}:v1`, `${reg.host}/${uniqueRepo('tty')}:v1`]);
    expect(r.code).toBe(0);
    // The plan is drawn as soon as it is known, before any blob is done.
    const planned = `blobs 0/3  0 B/${(total / 1024).toFixed(1)} KiB  0%`;
    expect(r.output).toContain(planned);
    expect(r.output).toMatch(/blobs: 3 copied, 0 mounted, 0 already present; 781\.\d KiB in \d+\.\d s, [\d.]+ (KiB|MiB)\/s/);
  });
});
