/**
 * `regtopo demo`: the embedded default run. Starts every registry of the example registries.yaml on
 * loopback, then tells the story with regtopo's own operations: push, inspect, digest-exact copy,
 * no-op copy, retag, platform subset, write authority refusing a copy into prod, and the live audit.
 * Offline and self-cleaning, so it runs on a fresh machine with one command.
 */
import { isRegtopoError } from '../errors.js';
import { checkTopology } from '../ops/check.js';
import { copy } from '../ops/copy.js';
import { inspect } from '../ops/inspect.js';
import { tag } from '../ops/tag.js';
import { clientForTopology } from '../ops/topology-client.js';
import { writeGuard } from '../topology/write-authority.js';
import { resolveRegistryRef } from '../topology/registry-lookup.js';
import { pushDemoImage } from './demo-image.js';
import { startDemoTopology } from './demo-topology.js';
import { runPromotionDemo } from './promotion-demo.js';
import { runMirrorDemo } from './mirror-demo.js';
import { runReplicationDemo } from './replication-demo.js';

export interface DemoOptions {
  /** Receives the narration, one line at a time. */
  log: (line: string) => void;
}

export interface DemoStep {
  step: string;
  detail: Record<string, unknown>;
}

export async function runDemo(options: DemoOptions): Promise<DemoStep[]> {
  const steps: DemoStep[] = [];
  const say = (step: string, detail: Record<string, unknown>, line: string) => {
    steps.push({ step, detail });
    options.log(line);
  };
  const topo = await startDemoTopology();
  const { config } = topo;
  const client = clientForTopology(config, { credentials: { get: async () => undefined } });
  try {
    const names = Object.values(config.registries).map((r) => `${r.name}=${r.host}`);
    say('start', { registries: Object.fromEntries(Object.values(config.registries).map((r) => [r.name, r.host])) },
      `started ${names.length} registries from registries.yaml (environment test): ${names.join(' ')}`);

    const latest = resolveRegistryRef(config, 'ci-snapshots', 'demo/app:latest');
    const pushed = await pushDemoImage(client.repository(latest), 'latest', {
      platforms: ['linux/amd64', 'linux/arm64/v8'], layersPerPlatform: 3, layerBytes: 256 * 1024, version: '1.0.0',
    });
    say('push', { ref: latest.toString(), digest: pushed }, `CI pushed a generated 2-platform image ${latest} → ${pushed}`);

    const info = await inspect(latest.toString(), { client });
    say('inspect', { platforms: info.platforms }, `inspect: ${info.mediaType}, platforms ${info.platforms?.map((p) => p.platform).join(', ')}`);

    const target = resolveRegistryRef(config, 'ci-tests', 'demo/app:1.0.0').toString();
    const first = await copy(latest.toString(), target, { client, authorizeWrite: writeGuard(config, 'copy') });
    say('copy', { ...first }, `copy → ci-tests ${target}: ${first.blobs.copied} blobs, ${first.manifests.pushed} manifests, digest ${first.digest === pushed ? 'unchanged' : 'CHANGED'} (${first.durationMs} ms)`);

    const again = await copy(latest.toString(), target, { client, authorizeWrite: writeGuard(config, 'copy') });
    say('copy-again', { upToDate: again.upToDate }, `copy again: ${again.upToDate ? 'already up to date (two HEAD requests, nothing transferred)' : 'copied again (unexpected)'}`);

    const retag = await tag(target, ['stable'], { client, authorizeWrite: writeGuard(config, 'tag') });
    say('tag', { ...retag }, `tag ${target} → stable: ${retag.tags.map((t) => t.action).join(', ')} (manifest only, no blob traffic)`);

    const sandbox = resolveRegistryRef(config, 'sandbox', 'demo/app-amd64:1.0.0').toString();
    const amd64 = await copy(latest.toString(), sandbox, { client, platforms: ['linux/amd64'], authorizeWrite: writeGuard(config, 'copy') });
    say('copy-platform', { ...amd64 }, `copy linux/amd64 only → sandbox: reduced index ${amd64.digest} (differs from the source, as asked)`);

    const prodRef = resolveRegistryRef(config, 'prod', 'demo/app:1.0.0').toString();
    try {
      await copy(latest.toString(), prodRef, { client, authorizeWrite: writeGuard(config, 'copy') });
      say('policy', { refused: false }, 'copy into prod was NOT refused (unexpected)');
    } catch (err) {
      if (!isRegtopoError(err) || err.code !== 'E_POLICY') throw err;
      say('policy', { refused: true, message: err.message }, `copy into prod refused: ${err.message}`);
    }

    const audit = await checkTopology(config);
    say('check', { findings: audit.findings }, `check: ${audit.registries.length} registries reachable; ${audit.findings} findings (the demo registries run without auth, so anyone could push to prod, replicas and archive: exactly what check exists to catch)`);

    options.log('--- promotion: statuses, gates, approval, promote ---');
    const hosts = Object.fromEntries(Object.values(config.registries).map((r) => [r.name, r.host]));
    steps.push(...(await runPromotionDemo({ hosts, client, log: options.log })).map((s) => ({ ...s, step: `promotion:${s.step}` })));

    options.log('--- replication and backup: prod → prod-eu, prod-us; backup; restore into an empty registry ---');
    steps.push(...(await runReplicationDemo({ config, log: options.log })).map((s) => ({ ...s, step: `replication:${s.step}` })));

    options.log('--- mirroring: Docker Hub stand-in → archive, run twice ---');
    const mirrored = await runMirrorDemo({ config, client, log: options.log });
    say('mirror', { first: mirrored.first.summary, second: mirrored.second.summary }, `mirror: the second run changed nothing (${mirrored.second.summary.skipped} tags skipped on HEADs alone)`);
    return steps;
  } finally {
    await client.close();
    await topo.stop();
  }
}
