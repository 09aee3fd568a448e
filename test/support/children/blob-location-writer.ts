/**
 * Child for the blob-location cache race test: records `count` sightings under its own repository
 * name in the cache file argv[2], waits for the start time argv[5] so every child flushes at once,
 * then flushes `rounds` times.
 */
import { BlobLocationCache } from '../../../src/ops/blob-locations/blob-location-cache.js';

const [path, name, count, startAt, rounds] = process.argv.slice(2) as [string, string, string, string, string];
const cache = new BlobLocationCache(path);
await cache.load();
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
for (let round = 0; round < Number(rounds); round++) {
  for (let i = 0; i < Number(count); i++) cache.record('registry.test', `sha256:${String(i).padStart(64, '0')}`, `${name}/r${round}`);
  await cache.flush();
}
