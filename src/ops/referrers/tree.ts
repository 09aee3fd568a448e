/** The referrer tree as `inspect` shows it: plain data (no manifest bytes), kinds named. */
import { discoverReferrers, type DiscoverOptions, type ReferrerNode } from './discover.js';
import type { ReferrerKind } from './kinds.js';
import type { ReferrerSide } from './side.js';

export interface ReferrerTreeEntry {
  digest: string;
  mediaType: string;
  size: number;
  artifactType?: string;
  kind: ReferrerKind;
  subject: string;
  via: ReferrerNode['via'];
  tag?: string;
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
