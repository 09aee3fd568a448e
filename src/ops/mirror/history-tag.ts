/**
 * History tags: before the Archive moves a tag to a new upstream digest, the digest it held stays
 * reachable as `<tag>-rt-<YYYYMMDD>-<first 12 hex of the digest>` (UTC date of the move). The same
 * old digest moved on the same day always gets the same name, so a re-run never piles up copies.
 * Long tags are shortened so the result stays within the 128-character tag limit.
 */
import { digestHex } from '../../ref/digest.js';

const SUFFIX_LENGTH = '-rt-YYYYMMDD-'.length + 12;
const MAX_TAG = 128;
const HISTORY = /-rt-\d{8}-[0-9a-f]{12}$/;

export function historyTag(tag: string, digest: string, when: Date): string {
  const hex = digestHex(digest).slice(0, 12);
  const day = when.toISOString().slice(0, 10).replaceAll('-', '');
  return `${tag.slice(0, MAX_TAG - SUFFIX_LENGTH)}-rt-${day}-${hex}`;
}

export function isHistoryTag(tag: string): boolean {
  return HISTORY.test(tag);
}
