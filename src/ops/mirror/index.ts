/**
 * Mirroring upstream images into the Archive (`regtopo mirror`, cron-safe): tag selection, shards,
 * a held lock, rate-limit reserves (Docker Hub's `ratelimit-remaining` headers) and history tags for
 * moved upstream tags. Copies follow the distribution-spec pull/push and image-spec index filtering;
 * the pieces below are what the CLI and tests use (see run.ts).
 */
export { mirror, DEFAULT_RESERVE, SOURCE_DIGEST_ANNOTATION, type MirrorOptions } from './run.js';
export { formatReport, summarise, ACTIONS, type MirrorAction, type MirrorOutcome, type MirrorReport, type MirrorTagReport } from './report.js';
export { RateLimitTracker, parseQuota, type RateLimitState } from './rate-limit.js';
export { selectTags, selectFromList, needsTagList } from './select-tags.js';
export { parseShard, shardOf, inShard, type Shard } from './shard.js';
export { historyTag, isHistoryTag } from './history-tag.js';
export { acquireLock, type HeldLock, type LockOwner } from './lock.js';
