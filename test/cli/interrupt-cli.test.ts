/**
 * Ctrl-C and SIGTERM during a copy, as a user sends them: the built CLI copies a big image whose
 * downloads a fault proxy throttles, gets the signal mid-transfer, and must exit 130 within about a
 * second, say `interrupted`, cancel (DELETE) every upload session it had open and leave no temp file
 * in an OCI layout target. A run killed outright (SIGKILL) leaves temp files; the next run removes them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findRegistryBinary } from '../../src/demo/local-registry.js';
import { BLOB_GET_PATH, startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { buildImage, pushImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { startTestRegistry, type TestRegistry } from '../support/registry.js';
import { runCli } from './run-cli.js';

const BIN = join(import.meta.dirname, '../../bin/regtopo.js');
const ENV = {
  ...process.env,
  DOCKER_CONFIG: mkdtempSync(join(tmpdir(), 'regtopo-int-dockercfg-')),
  XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'regtopo-int-cache-')),
};
const CWD = mkdtempSync(join(tmpdir(), 'regtopo-int-cwd-'));
const UPLOADS = /\/blobs\/uploads\//;
const UPLOAD_SESSION = /\/blobs\/uploads\/([^/]+)$/;

interface Interrupted {
  code: number | null;
  stderr: string;
  /** From sending the signal to the process having exited. */
  exitMs: number;
}

/**
 * Starts `regtopo args`, waits for `ready()`, sends `signal` (and `again` that many ms later), and
 * reports how the process ended; `exitMs` counts from the last signal sent.
 */
function interruptCli(args: string[], ready: () => boolean, signal: NodeJS.Signals, again?: { signal: NodeJS.Signals; afterMs: number }): Promise<Interrupted> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: ENV, cwd: CWD, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let sentAt = 0;
    const poll = setInterval(() => {
      if (sentAt === 0 && ready()) {
        sentAt = performance.now();
        child.kill(signal);
        if (again) {
          setTimeout(() => {
            sentAt = performance.now();
            child.kill(again.signal);
          }, again.afterMs);
        }
      }
    }, 20);
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`regtopo ${args.join(' ')} never became ready or never exited; stderr: ${stderr}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearInterval(poll);
      clearTimeout(deadline);
      if (sentAt === 0) return reject(new Error(`exited (${code}) before the signal was sent; stderr: ${stderr}`));
      resolve({ code, stderr, exitMs: Math.round(performance.now() - sentAt) });
    });
  });
}

async function tempFilesIn(dir: string): Promise<string[]> {
  const all = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return all.filter((f) => f.endsWith('.tmp'));
}

describe.skipIf(!findRegistryBinary())('CLI: interrupting a copy', () => {
  let src: TestRegistry;
  let dst: TestRegistry;
  let srcProxy: FaultProxy;
  let dstProxy: FaultProxy;
  const repo = uniqueRepo('interrupt');
  // Four 4 MiB layers trickling at 256 KiB/s each: every transfer is mid-flight when the signal lands.
  const built = buildImage({ layers: [4 << 20, 4 << 20, 4 << 20, 4 << 20] });
  const measured: Record<string, number> = {};

  beforeAll(async () => {
    [src, dst] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain')]);
    [srcProxy, dstProxy] = await Promise.all([startFaultProxy(src.url), startFaultProxy(dst.url)]);
    await pushImage(src.url, repo, 'v1', built);
  }, 120_000);
  afterAll(async () => {
    console.log(`signal → exit (ms): ${JSON.stringify(measured)}`);
    await Promise.all([srcProxy?.stop(), dstProxy?.stop()]);
    await Promise.all([src?.stop(), dst?.stop()]);
  });
  beforeEach(() => {
    srcProxy.reset();
    dstProxy.reset();
    srcProxy.addRule({ method: 'GET', path: BLOB_GET_PATH, fault: { kind: 'slowBody', bytesPerSecond: 256 << 10 } });
  });

  /** Layer downloads under way for a moment: bytes are flowing on every transfer. */
  const layersFlowing = (since: number) => () =>
    srcProxy.requests.filter((q) => q.method === 'GET' && BLOB_GET_PATH.test(q.path)).length >= built.layers.length + 1 && performance.now() - since > 700;

  /** Every blob's PUT has reached the target (the config's has finished), and bytes flow for a moment. */
  const uploadsFlowing = () => {
    let seenAt = 0;
    return () => {
      if (seenAt === 0 && dstProxy.count('PUT', UPLOADS) >= built.layers.length + 1) seenAt = performance.now();
      return seenAt > 0 && performance.now() - seenAt > 300;
    };
  };

  it.each(['SIGINT', 'SIGTERM'] as const)('%s into a registry: exit 130 within a second, "interrupted", every open upload session cancelled', async (signal) => {
    const target = `${dstProxy.host}/${repo}-${signal.toLowerCase()}:v1`;
    const r = await interruptCli(['copy', `${srcProxy.host}/${repo}:v1`, target], uploadsFlowing(), signal);
    measured[`${signal} registry`] = r.exitMs;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('interrupted');
    expect(r.stderr).toBe('regtopo: interrupted\n');
    expect(r.exitMs).toBeLessThan(3_000);

    const opened = dstProxy.requests.filter((q) => q.method === 'POST' && /\/blobs\/uploads\/$/.test(q.path) && q.status === 202).length;
    const sessions = new Map<string, { put?: number; deleted: boolean }>();
    for (const q of dstProxy.requests) {
      const id = UPLOAD_SESSION.exec(q.path)?.[1];
      if (!id) continue;
      const s = sessions.get(id) ?? { deleted: false };
      if (q.method === 'PUT') s.put = q.status;
      if (q.method === 'DELETE') s.deleted = true;
      sessions.set(id, s);
    }
    const unfinished = [...sessions.values()].filter((s) => s.put !== 201);
    const finished = [...sessions.values()].filter((s) => s.put === 201);
    expect(unfinished.length).toBe(built.layers.length);
    expect(unfinished.every((s) => s.deleted)).toBe(true);
    expect(finished.every((s) => !s.deleted)).toBe(true);
    // Sessions that never got as far as a PUT were cancelled too.
    expect(dstProxy.count('DELETE', UPLOADS)).toBe(opened - finished.length);
    expect((await rawGetManifest(dst.url, `${repo}-${signal.toLowerCase()}`, 'v1')).status).toBe(404);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('%s into an OCI layout: exit 130 and no temp file left behind', async (signal) => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-int-oci-'));
    const r = await interruptCli(['copy', `${srcProxy.host}/${repo}:v1`, `oci:${dir}:v1`], layersFlowing(performance.now()), signal);
    measured[`${signal} oci`] = r.exitMs;
    expect(r.code).toBe(130);
    expect(r.stderr).toBe('regtopo: interrupted\n');
    expect(r.exitMs).toBeLessThan(3_000);
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it('cleanup that hangs does not hold the exit: a second Ctrl-C exits at once, and without one the grace period ends it', async () => {
    dstProxy.addRule({ method: 'DELETE', path: UPLOADS, fault: { kind: 'hang' } });
    const twice = await interruptCli(['copy', `${srcProxy.host}/${repo}:v1`, `${dstProxy.host}/${repo}-twice:v1`], uploadsFlowing(), 'SIGINT', { signal: 'SIGINT', afterMs: 300 });
    measured['second SIGINT'] = twice.exitMs;
    expect(twice.code).toBe(130);
    expect(twice.stderr).toBe('regtopo: interrupted\n');
    expect(twice.exitMs).toBeLessThan(1_000);
    dstProxy.reset();
    srcProxy.reset();
    srcProxy.addRule({ method: 'GET', path: BLOB_GET_PATH, fault: { kind: 'slowBody', bytesPerSecond: 256 << 10 } });
    dstProxy.addRule({ method: 'DELETE', path: UPLOADS, fault: { kind: 'hang' } });
    const once = await interruptCli(['copy', `${srcProxy.host}/${repo}:v1`, `${dstProxy.host}/${repo}-once:v1`], uploadsFlowing(), 'SIGINT');
    measured['SIGINT, cleanup hanging'] = once.exitMs;
    expect(once.code).toBe(130);
    expect(once.stderr).toBe('regtopo: interrupted\n');
    expect(once.exitMs).toBeLessThan(3_000);
  });

  it('a run killed outright leaves temp files; the next run into the layout removes them and completes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-int-oci-'));
    const killed = await interruptCli(['copy', `${srcProxy.host}/${repo}:v1`, `oci:${dir}:v1`], layersFlowing(performance.now()), 'SIGKILL');
    expect(killed.code).toBe(null);
    const left = await tempFilesIn(dir);
    expect(left.length).toBeGreaterThanOrEqual(built.layers.length);
    srcProxy.clearRules();
    const rerun = await runCli(['copy', `${srcProxy.host}/${repo}:v1`, `oci:${dir}:v1`, '-o', 'json']);
    expect(rerun.code).toBe(0);
    expect(rerun.json().digest).toBe(built.digest);
    expect(await tempFilesIn(dir)).toEqual([]);
  });
});
