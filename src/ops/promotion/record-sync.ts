/**
 * Records travel with the image: every status, approval and promotion record about a digest is
 * copied (manifest and blobs, under the same tag) from the source repository to the target, so the
 * target holds the evidence for what it runs. Records already present are skipped by tag.
 */
import type { Reference } from '../../ref/reference.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import { copy } from '../copy.js';
import { isRecordTag, recordTagPrefix, tagsOf, type RecordKind } from './records.js';

const KINDS: RecordKind[] = ['status', 'approval', 'promotion'];

export interface RecordSyncResult {
  copied: number;
  present: number;
}

export async function syncRecords(
  client: RegistryClient, source: Reference, target: Reference, digest: string,
  authorizeWrite?: (ref: Reference) => void, signal?: AbortSignal,
): Promise<RecordSyncResult> {
  const [srcTags, dstTags] = await Promise.all([tagsOf(client.repository(source, { signal })), tagsOf(client.repository(target, { signal }))]);
  const prefixes = KINDS.map((k) => recordTagPrefix(k, digest));
  const wanted = srcTags.filter((t) => isRecordTag(t) && prefixes.some((p) => t.startsWith(p)));
  const have = new Set(dstTags);
  const missing = wanted.filter((t) => !have.has(t));
  for (const tag of missing) {
    const to = target.withTag(tag);
    authorizeWrite?.(to);
    await copy({ kind: 'registry', ref: source.withTag(tag) }, { kind: 'registry', ref: to }, { client, jobs: 2, signal });
  }
  return { copied: missing.length, present: wanted.length - missing.length };
}
