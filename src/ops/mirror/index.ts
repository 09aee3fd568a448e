/** Mirroring upstream images into the Archive: the public pieces (see run.ts). */
export { mirror, DEFAULT_RESERVE, SOURCE_DIGEST_ANNOTATION, type MirrorOptions } from './run.js';
export { formatReport, summarise, ACTIONS, type MirrorAction, type MirrorOutcome, type MirrorReport, type MirrorTagReport } from './report.js';
export { RateLimitTracker, parseQuota, type RateLimitState } from './rate-limit.js';
export { selectTags, selectFromList, needsTagList } from './select-tags.js';
export { parseShard, shardOf, inShard, type Shard } from './shard.js';
export { historyTag, isHistoryTag } from './history-tag.js';
export { acquireLock, type HeldLock, type LockOwner } from './lock.js';
