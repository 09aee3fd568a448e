/**
 * The replication and backup story for `npm run demo`, once prod holds a promoted image: replicate
 * prod to prod-eu and prod-us, rerun (in sync: HEADs and listings only, counted on the wire), back
 * prod up into an OCI layout, and restore that layout into an empty registry with identical digests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backup } from '../ops/backup/backup.js';
import { restore } from '../ops/backup/restore.js';
import { replicate } from '../ops/replicate/replicate.js';
import { clientForTopology } from '../ops/topology-client.js';
import type { Layer } from '../transport/http-types.js';
import type { Topology } from '../topology/model.js';
import { startLocalRegistry } from './local-registry.js';

export interface ReplicationDemoContext {
  /** The demo topology with its registries started (needs prod with replicas). */
  config: Topology;
  log: (line: string) => void;
}

export interface ReplicationDemoStep {
  step: string;
  detail: Record<string, unknown>;
}

export async function runReplicationDemo(ctx: ReplicationDemoContext): Promise<ReplicationDemoStep[]> {
  const steps: ReplicationDemoStep[] = [];
  const say = (step: string, detail: Record<string, unknown>, line: string) => {
    steps.push({ step, detail });
    ctx.log(line);
  };
  const requests: Record<string, number> = {};
  const counting: Layer = (next) => async (req) => {
    requests[req.method] = (requests[req.method] ?? 0) + 1;
    return next(req);
  };
  const client = clientForTopology(ctx.config, { credentials: { get: async () => undefined }, layers: [counting] });
  const dir = await mkdtemp(join(tmpdir(), 'regtopo-demo-backup-'));
  const empty = await startLocalRegistry({ storage: 'inmemory' });
  try {
    const first = await replicate({ topology: ctx.config, client, all: true });
    say('replicate', { summary: first.summary, ok: first.ok },
      `replicate prod → ${first.replicas.map((r) => r.name).join(', ')}: ${first.summary.copied} tags copied, ${first.summary['in-sync']} already in sync (records travel as tags: the replicas hold the statuses and approvals too)`);

    for (const k of Object.keys(requests)) delete requests[k];
    const again = await replicate({ topology: ctx.config, client, all: true });
    const counted = { ...requests };
    say('replicate-again', { summary: again.summary, requests: counted },
      `replicate again: ${again.summary['in-sync']} tags in sync, nothing written (${counted.HEAD ?? 0} HEADs, one per tag on each side, plus ${counted.GET ?? 0} catalog/tag-list GETs)`);

    const saved = await backup({ topology: ctx.config, client, registries: ['prod'], to: `oci:${dir}` });
    say('backup', { summary: saved.summary, layout: dir },
      `backup prod → oci:${dir}: ${saved.summary.added} refs (REPOSITORY:TAG, readable with skopeo inspect oci:${dir}:demo/app:1.0.0)`);

    const restored = await restore(`oci:${dir}`, empty.host, { client });
    const prodHost = ctx.config.registries.prod!.host;
    const same = await Promise.all(restored.refs.map(async (r) => {
      const [a, b] = await Promise.all([
        client.repository({ registry: prodHost, repository: r.repository }).headManifest(r.tag),
        client.repository({ registry: empty.host, repository: r.repository }).headManifest(r.tag),
      ]);
      return a !== undefined && a.digest === b?.digest;
    }));
    const identical = same.every(Boolean);
    say('restore', { restored: restored.refs.filter((r) => r.action === 'restored').length, identical, target: empty.host },
      `restore into an empty registry ${empty.host}: ${restored.refs.length} refs, digests ${identical ? 'identical to prod' : 'DIFFERENT (unexpected)'}`);
    return steps;
  } finally {
    await client.close();
    await empty.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
