/**
 * Turns a Location into the ImageStore that serves it, so every op works the same on registries and
 * on OCI layouts.
 */
import type { Location } from '../ref/location.js';
import type { ImageStore } from '../registry/image-store.js';
import { OciLayoutStore } from '../registry/oci-layout-store.js';
import type { RegistryClient } from '../registry/registry-client.js';

/** `signal` is bound to the store: every one of its operations ends with E_INTERRUPTED when it fires. */
export async function openStore(loc: Location, client: RegistryClient, mode: 'read' | 'write', options: { signal?: AbortSignal } = {}): Promise<ImageStore> {
  if (loc.kind === 'registry') return client.repository(loc.ref, { signal: options.signal });
  return OciLayoutStore.open(loc.dir, { create: mode === 'write', signal: options.signal });
}

/** The tag or digest a location asks for; `latest` when it names neither, as Docker does. */
export function referenceOf(loc: Location): string {
  if (loc.kind === 'registry') return loc.ref.reference;
  return loc.digest ?? loc.tag ?? 'latest';
}

/** The tag a location names, if any (the digest is not a tag). */
export function tagOf(loc: Location): string | undefined {
  return loc.kind === 'registry' ? loc.ref.tag : loc.tag;
}
