/**
 * One writer in the OCI layout index race: for each trial i it waits for its start instant and
 * stores one manifest under its own tag in the layout `<dir>/layout-<i>`.
 * argv: dir trials startAtMs slotMs tag
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OciLayoutStore } from '../../../src/registry/oci-layout-store.js';

const [dir, trialsArg, startArg, slotArg, tag] = process.argv.slice(2) as [string, string, string, string, string];
const trials = Number(trialsArg);
const startAt = Number(startArg);
const slot = Number(slotArg);

const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [], annotations: { writer: tag } }));
const manifest = { bytes, mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };

for (let i = 0; i < trials; i++) {
  const store = await OciLayoutStore.open(join(dir, `layout-${i}`), { create: true });
  const at = startAt + i * slot;
  const wait = at - Date.now() - 3;
  if (wait > 0) await sleep(wait);
  while (Date.now() < at) {
    // Spin the last milliseconds so every writer reads index.json within the same millisecond.
  }
  await store.putManifest(tag, manifest);
}
process.stdout.write(JSON.stringify({ done: trials }));
