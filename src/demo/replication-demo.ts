/**
 * The replication and backup story of `regtopo demo`, once prod holds the promoted image (and
 * promote has replicated it to prod-eu and prod-us): replicate again (in sync: HEADs and listings
 * only, counted on the wire), back prod up into an OCI layout in the demo's directory, and restore
 * that layout into an empty registry with identical digests. Each step prints its CLI command first.
 */
import { join } from 'node:path';
import { backup } from '../ops/backup/backup.js';
import { restore } from '../ops/backup/restore.js';
import { replicate } from '../ops/replicate/replicate.js';
import { clientForTopology } from '../ops/topology-client.js';
import type { Layer } from '../transport/http-types.js';
import type { DemoTopology } from './demo-topology.js';

export interface ReplicationDemoContext {
  /** The demo topology with its registries started (needs prod with replicas). */
  demo: DemoTopology;
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
  const { demo } = ctx;
  const config = demo.config;
  const cmd = (args: string[]) => ctx.log(demo.command(args));
  const requests: Record<string, number> = {};
  const counting: Layer = (next) => async (req) => {
    requests[req.method] = (requests[req.method] ?? 0) + 1;
    return next(req);
  };
  const client = clientForTopology(config, { credentials: { get: async () => undefined }, layers: [counting] });
  try {
    cmd(['replicate']);
    const again = await replicate({ topology: config, client, images: [] });
    const counted = { ...requests };
    say('replicate', { summary: again.summary, ok: again.ok, requests: counted },
      `replicate prod → ${again.replicas.map((r) => r.name).join(', ')}: ${again.summary['in-sync']} tags in sync, nothing written (${counted.HEAD ?? 0} HEADs, one per tag on each side, plus ${counted.GET ?? 0} tag-list GETs; records travel as tags, so the replicas hold the statuses and approvals too)`);

    const layout = join(demo.dir, 'backups', 'prod');
    cmd(['backup', 'prod', '--to', `oci:${layout}`]);
    const saved = await backup({ topology: config, client, registries: ['prod'], to: `oci:${layout}` });
    say('backup', { summary: saved.summary, layout },
      `backup prod → oci:${layout}: ${saved.summary.added} refs (REPOSITORY:TAG, readable with skopeo inspect oci:${layout}:app:1.0.0)`);

    const empty = await demo.startExtra();
    cmd(['restore', `oci:${layout}`, empty.host]);
    const restored = await restore(`oci:${layout}`, empty.host, { client });
    const prodHost = config.registries.prod!.host;
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
  }
}
