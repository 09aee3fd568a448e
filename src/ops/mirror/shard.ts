/**
 * `--shard I/N`: N workers (CronJob pods, CI jobs) split a rule set with no coordinator. Each
 * (rule, tag) pair belongs to exactly one shard, chosen by a stable hash, so every tag is covered
 * once whatever order the workers run in, and a tag stays in its shard from run to run.
 */
import { createHash } from 'node:crypto';
import { RegtopoError } from '../../errors.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new RegtopoError('E_USAGE', `--shard must be I/N with 1 ≤ I ≤ N (e.g. 2/3), got "${text}"`);
  }
  return { index, count };
}

/** The 1-based shard a (rule, tag) pair belongs to. */
export function shardOf(rule: string, tag: string, count: number): number {
  const h = createHash('sha256').update(rule).update('\0').update(tag).digest();
  return (h.readUInt32BE(0) % count) + 1;
}

export function inShard(shard: Shard | undefined, rule: string, tag: string): boolean {
  return !shard || shard.count === 1 || shardOf(rule, tag, shard.count) === shard.index;
}
