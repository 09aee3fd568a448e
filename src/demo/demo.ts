/**
 * `regtopo demo`: the embedded default run. Starts every registry of the example registries.yaml on
 * loopback (written, with the local ports, to a directory of its own), then tells the story with
 * regtopo's own operations, printing before each step the CLI command that does the same: push,
 * inspect, digest-exact copy, no-op copy, retag, platform subset, write authority refusing a copy
 * into prod, the live audit, promotion, replication, backup and restore, mirroring. Offline and
 * self-cleaning, unless `keep` leaves the registries running to replay the commands by hand.
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
import { startDemoTopology, type DemoTopology } from './demo-topology.js';
import { runPromotionDemo } from './promotion-demo.js';
import { runMirrorDemo } from './mirror-demo.js';
import { runReplicationDemo } from './replication-demo.js';

export interface DemoOptions {
  /** Receives the narration, one line at a time: `$ regtopo …` lines are the commands. */
  log: (line: string) => void;
  /** Leave the registries running: the result's `kept` stops them. */
  keep?: boolean;
}

export interface DemoStep {
  step: string;
  detail: Record<string, unknown>;
}

export interface DemoResult {
  steps: DemoStep[];
  /** With `keep`: the running topology (file, directory, registries); its stop() ends them. */
  kept?: DemoTopology;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const steps: DemoStep[] = [];
  const say = (step: string, detail: Record<string, unknown>, line: string) => {
    steps.push({ step, detail });
    options.log(line);
  };
  const demo = await startDemoTopology();
  const { config } = demo;
  const cmd = (args: string[]) => options.log(demo.command(args));
  const client = clientForTopology(config, { credentials: { get: async () => undefined } });
  let keep = false;
  try {
    const names = Object.values(config.registries).map((r) => `${r.name}=${r.host}`);
    say('start', { registries: Object.fromEntries(Object.values(config.registries).map((r) => [r.name, r.host])), file: demo.file, env: demo.env },
      `started ${names.length} registries of registries.yaml (environment ${demo.env}) on local ports: ${names.join(' ')}`);
    options.log(`# the topology with these ports: ${demo.file} (alice, bob and scanner hold keys generated for this run, in ${demo.dir}/keys)`);

    const latest = resolveRegistryRef(config, 'ci-snapshots', 'demo/app:latest');
    options.log(`# CI pushes a generated 2-platform image to ci-snapshots: ${latest}`);
    const pushed = await pushDemoImage(client.repository(latest), 'latest', {
      platforms: ['linux/amd64', 'linux/arm64/v8'], layersPerPlatform: 3, layerBytes: 256 * 1024, version: '1.0.0',
    });
    say('push', { ref: latest.toString(), digest: pushed }, `pushed ${latest} → ${pushed}`);

    cmd(['inspect', latest.toString()]);
    const info = await inspect(latest.toString(), { client });
    say('inspect', { platforms: info.platforms }, `inspect: ${info.mediaType}, platforms ${info.platforms?.map((p) => p.platform).join(', ')}`);

    const target = resolveRegistryRef(config, 'ci-tests', 'demo/app:1.0.0').toString();
    cmd(['copy', latest.toString(), target]);
    const first = await copy(latest.toString(), target, { client, authorizeWrite: writeGuard(config, 'copy') });
    say('copy', { ...first }, `copy → ci-tests ${target}: ${first.blobs.copied} blobs, ${first.manifests.pushed} manifests, digest ${first.digest === pushed ? 'unchanged' : 'CHANGED'} (${first.durationMs} ms)`);

    cmd(['copy', latest.toString(), target]);
    const again = await copy(latest.toString(), target, { client, authorizeWrite: writeGuard(config, 'copy') });
    say('copy-again', { upToDate: again.upToDate }, `copy again: ${again.upToDate ? 'already up to date (two HEAD requests, nothing transferred)' : 'copied again (unexpected)'}`);

    cmd(['tag', target, 'stable']);
    const retag = await tag(target, ['stable'], { client, authorizeWrite: writeGuard(config, 'tag') });
    say('tag', { ...retag }, `tag ${target} → stable: ${retag.tags.map((t) => t.action).join(', ')} (manifest only, no blob traffic)`);

    const sandbox = resolveRegistryRef(config, 'sandbox', 'demo/app-amd64:1.0.0').toString();
    cmd(['copy', latest.toString(), sandbox, '--platform', 'linux/amd64']);
    const amd64 = await copy(latest.toString(), sandbox, { client, platforms: ['linux/amd64'], authorizeWrite: writeGuard(config, 'copy') });
    say('copy-platform', { ...amd64 }, `copy linux/amd64 only → sandbox: reduced index ${amd64.digest} (differs from the source, as asked)`);

    const prodRef = resolveRegistryRef(config, 'prod', 'demo/app:1.0.0').toString();
    cmd(['copy', latest.toString(), prodRef]);
    try {
      await copy(latest.toString(), prodRef, { client, authorizeWrite: writeGuard(config, 'copy') });
      say('policy', { refused: false }, 'copy into prod was NOT refused (unexpected)');
    } catch (err) {
      if (!isRegtopoError(err) || err.code !== 'E_POLICY') throw err;
      say('policy', { refused: true, message: err.message }, `copy into prod refused: ${err.message}`);
    }

    cmd(['check']);
    const audit = await checkTopology(config);
    say('check', { findings: audit.findings }, `check: ${audit.registries.length} registries reachable; ${audit.findings} findings (the demo registries run without auth, so anyone could push to prod, replicas and archive: exactly what check exists to catch)`);

    options.log('--- promotion: statuses, gates, approval, promote ---');
    steps.push(...(await runPromotionDemo({ demo, client, log: options.log })).map((s) => ({ ...s, step: `promotion:${s.step}` })));

    options.log('--- replication and backup: prod → prod-eu, prod-us; backup; restore into an empty registry ---');
    steps.push(...(await runReplicationDemo({ demo, log: options.log })).map((s) => ({ ...s, step: `replication:${s.step}` })));

    options.log('--- mirroring: Docker Hub stand-in → archive, run twice ---');
    const mirrored = await runMirrorDemo({ demo, client, log: options.log });
    say('mirror', { first: mirrored.first.summary, second: mirrored.second.summary }, `mirror: the second run changed nothing (${mirrored.second.summary.skipped} tags skipped on HEADs alone)`);
    keep = options.keep === true;
    return { steps, ...(keep ? { kept: demo } : {}) };
  } finally {
    await client.close();
    if (!keep) await demo.stop();
  }
}

/** What `demo --keep` prints once the story is told: where the registries are, and how to replay. */
export function keptHint(demo: DemoTopology): string[] {
  const registries = Object.values(demo.config.registries).map((r) => `  ${r.name.padEnd(13)} ${r.url}`);
  const upstreams = Object.values(demo.config.upstreams).filter((u) => u.url.startsWith('http://127.0.0.1')).map((u) => `  ${u.name.padEnd(13)} ${u.url} (upstream stand-in of --env ${demo.env})`);
  return [
    '',
    `registries kept running (Ctrl-C stops them and removes ${demo.dir}):`,
    ...registries, ...upstreams,
    `replay any step above by hand, or point regtopo at them with -f and --env (or REGTOPO_ENV):`,
    `  export REGTOPO_ENV=${demo.env}`,
    `  regtopo -f ${demo.file} inventory`,
    `  regtopo -f ${demo.file} mirror --dry-run`,
    `the commands above are printed with -f ${demo.file} --env ${demo.env}, ready to paste`,
  ];
}
