/** The referrer tree as `inspect` shows it: plain data (no manifest bytes), kinds named. */
import { discoverReferrers, type DiscoverOptions, type ReferrerNode } from './discover.js';
import type { ReferrerSide } from './side.js';

/** A discovered node without its bytes and descriptor copy, its children the same way. */
export interface ReferrerTreeEntry extends Omit<ReferrerNode, 'descriptor' | 'raw' | 'children'> {
  referrers: ReferrerTreeEntry[];
}

export async function referrerTree(side: ReferrerSide, subjects: readonly string[], options: DiscoverOptions = {}): Promise<ReferrerTreeEntry[]> {
  return (await discoverReferrers(side, subjects, options)).map(entryOf);
}

function entryOf(n: ReferrerNode): ReferrerTreeEntry {
  return {
    digest: n.digest, mediaType: n.mediaType, size: n.size, ...(n.artifactType && { artifactType: n.artifactType }),
    kind: n.kind, subject: n.subject, via: n.via, ...(n.tag && { tag: n.tag }), referrers: n.children.map(entryOf),
  };
}
