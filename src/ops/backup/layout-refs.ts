/**
 * Refs of a backup layout: `REPOSITORY:TAG` in the `org.opencontainers.image.ref.name` annotation
 * of index.json's entries (the image-spec allows `/` and `:` in ref names). A ref moves only after
 * the content it names is fully in the layout, and a moved ref leaves its old digest under a
 * history ref, so index.json never names missing content and a backup never loses a digest.
 */
import type { Descriptor } from '../../registry/descriptor.js';
import { readLayoutIndex, updateLayoutIndex } from '../../registry/oci-layout-index.js';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

export function refName(repository: string, tag: string): string {
  return `${repository}:${tag}`;
}

/** `team/app:1.4.2` → repository and tag; undefined for refs without a repository (other tools'). */
export function splitRefName(name: string): { repository: string; tag: string } | undefined {
  const colon = name.lastIndexOf(':');
  if (colon <= 0 || colon === name.length - 1) return undefined;
  const repository = name.slice(0, colon);
  const tag = name.slice(colon + 1);
  return tag.includes('/') ? undefined : { repository, tag };
}

/** Every ref of the layout; for a duplicated name, the later entry (the newer write) wins. */
export async function readRefs(dir: string): Promise<Map<string, Descriptor>> {
  const { manifests } = await readLayoutIndex(dir);
  const refs = new Map<string, Descriptor>();
  for (const d of manifests) {
    const name = d.annotations?.[REF_NAME_ANNOTATION];
    if (typeof name === 'string') refs.set(name, d);
  }
  return refs;
}

export interface RefChange {
  name: string;
  target: Descriptor;
  /** Where the ref's current digest is kept when it differs from `target`. */
  historyName?: string;
}

/** Sets refs in one rewrite of index.json; entries of other refs (and other tools') are kept as they are. */
export async function setRefs(dir: string, changes: RefChange[]): Promise<void> {
  if (changes.length === 0) return;
  await updateLayoutIndex(dir, (manifests) => {
    let out = [...manifests];
    for (const { name, target, historyName } of changes) {
      const current = [...out].reverse().find((d) => d.annotations?.[REF_NAME_ANNOTATION] === name);
      out = out.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== name);
      if (current && historyName && current.digest !== target.digest && !out.some((d) => d.annotations?.[REF_NAME_ANNOTATION] === historyName)) {
        out.push({ ...entryOf(current), annotations: { ...current.annotations, [REF_NAME_ANNOTATION]: historyName } });
      }
      out.push({ ...entryOf(target), annotations: { [REF_NAME_ANNOTATION]: name } });
    }
    return out;
  });
}

function entryOf(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size, ...(d.annotations ? { annotations: d.annotations } : {}) };
}
