/**
 * `regtopo demo`: the embedded default run. Starts local Distribution registries on loopback,
 * pushes a generated multi-arch image and moves it with regtopo's own operations, narrating each
 * step. Offline and self-cleaning, so it runs on a fresh machine with one command.
 */
import { copy } from '../ops/copy.js';
import { inspect } from '../ops/inspect.js';
import { listTags } from '../ops/list-tags.js';
import { tag } from '../ops/tag.js';
import { Reference } from '../ref/reference.js';
import { RegistryClient } from '../registry/registry-client.js';
import { pushDemoImage } from './demo-image.js';
import { startLocalRegistry, type LocalRegistry } from './local-registry.js';

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
  const registries: LocalRegistry[] = [];
  const client = new RegistryClient();
  try {
    const ci = await startLocalRegistry({});
    registries.push(ci);
    const prod = await startLocalRegistry({});
    registries.push(prod);
    say('start', { ci: ci.host, prod: prod.host }, `started registries: ci=${ci.host} prod=${prod.host}`);

    const source = Reference.parse(`${ci.host}/demo/app:latest`);
    const pushed = await pushDemoImage(client.repository(source), 'latest', {
      platforms: ['linux/amd64', 'linux/arm64/v8'], layersPerPlatform: 3, layerBytes: 256 * 1024, version: '1.0.0',
    });
    say('push', { ref: source.toString(), digest: pushed }, `pushed generated 2-platform image ${source} → ${pushed}`);

    const info = await inspect(source.toString(), { client });
    say('inspect', { platforms: info.platforms }, `inspect: ${info.mediaType}, platforms ${info.platforms?.map((p) => p.platform).join(', ')}`);

    const target = `${prod.host}/demo/app:1.0.0`;
    const first = await copy(source.toString(), target, { client });
    say('copy', { ...first }, `copy → ${target}: ${first.blobs.copied} blobs, ${first.manifests.pushed} manifests, digest ${first.digest === pushed ? 'unchanged' : 'CHANGED'} (${first.durationMs} ms)`);

    const again = await copy(source.toString(), target, { client });
    say('copy-again', { upToDate: again.upToDate }, `copy again: ${again.upToDate ? 'already up to date, nothing transferred' : 'copied again (unexpected)'}`);

    const retag = await tag(target, ['stable'], { client });
    say('tag', { ...retag }, `tag ${target} → stable: ${retag.tags.map((t) => t.action).join(', ')} (manifest only)`);

    const amd64 = await copy(source.toString(), `${prod.host}/demo/app-amd64:1.0.0`, { client, platforms: ['linux/amd64'] });
    say('copy-platform', { ...amd64 }, `copy linux/amd64 only → reduced index ${amd64.digest} (differs from source, as asked)`);

    const tags = await listTags(`${prod.host}/demo/app`, { client });
    say('tags', { tags }, `tags in prod demo/app: ${tags.join(', ')}`);
    return steps;
  } finally {
    await client.close();
    await Promise.all(registries.map((r) => r.stop()));
  }
}
