/**
 * Where an image lives: a registry reference, or an OCI image layout on disk (`oci:DIR[:tag]`,
 * image-spec image-layout.md) for backups. `docker://` is accepted as skopeo users type it.
 */
import { RegtopoError } from '../errors.js';
import { Reference } from './reference.js';
import { isDigest } from './digest.js';
import { isTag } from './tag.js';

export type Location =
  | { kind: 'registry'; ref: Reference }
  | { kind: 'oci'; dir: string; tag?: string; digest?: string };

export function parseLocation(input: string): Location {
  if (input.startsWith('oci:')) return parseOci(input, input.slice(4));
  if (input.startsWith('oci-layout:')) return parseOci(input, input.slice(11));
  const bare = input.startsWith('docker://') ? input.slice(9) : input;
  return { kind: 'registry', ref: Reference.parse(bare) };
}

export function formatLocation(loc: Location): string {
  if (loc.kind === 'registry') return loc.ref.toString();
  return `oci:${loc.dir}${loc.tag ? `:${loc.tag}` : ''}${loc.digest ? `@${loc.digest}` : ''}`;
}

function parseOci(input: string, rest: string): Location {
  let digest: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at !== -1 && isDigest(rest.slice(at + 1))) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  // DIR may itself contain ':'; only a last segment without '/' is a tag.
  if (colon !== -1 && !rest.slice(colon + 1).includes('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (!rest) throw new RegtopoError('E_REF_INVALID', `invalid OCI layout reference "${input}": missing directory`);
  if (tag !== undefined && !isTag(tag)) {
    throw new RegtopoError('E_REF_INVALID', `invalid OCI layout reference "${input}": invalid tag "${tag}"`);
  }
  return { kind: 'oci', dir: rest, tag, digest };
}
