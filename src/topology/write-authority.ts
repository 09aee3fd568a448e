/**
 * Write authority: which kind of write each role accepts. regtopo enforces it itself, before any
 * request, so a stray `copy` into prod fails even where the registry's own auth would allow it.
 * Addresses outside the topology are not regtopo's to police and are allowed.
 */
import { RegtopoError } from '../errors.js';
import type { Location } from '../ref/location.js';
import type { RegistrySpec, Role, Topology } from './model.js';
import { registryForAddress, type RegistryAddress } from './registry-lookup.js';

/** `status`: a status record set by hand or by CI (`regtopo status set`), as opposed to promotion's own records. */
export type WriteOperation = 'copy' | 'tag' | 'promote' | 'replicate' | 'mirror' | 'status';

export const WRITE_AUTHORITY_RULE = 'write-authority';

const ALLOWED: Record<Role, readonly WriteOperation[]> = {
  sandbox: ['copy', 'tag', 'status'],
  ci: ['copy', 'tag', 'promote', 'status'],
  prod: ['promote'],
  replica: ['replicate'],
  archive: ['mirror'],
};

const WRITTEN_BY: Record<Role, string> = {
  sandbox: 'written only by copy, tag and status set',
  ci: 'written only by copy, tag, status set and promotion',
  prod: 'written only by promotion',
  replica: 'written only by replication from its prod',
  archive: 'written only by mirroring',
};

export function isWriteAllowed(role: Role, operation: WriteOperation): boolean {
  return ALLOWED[role].includes(operation);
}

/**
 * Throws E_POLICY when `target` lies in a topology registry whose role does not accept `operation`.
 * Returns the registry it matched (undefined for addresses outside the topology).
 */
export function assertWriteAllowed(config: Topology, target: RegistryAddress, operation: WriteOperation): RegistrySpec | undefined {
  const registry = registryForAddress(config, target);
  if (registry && !isWriteAllowed(registry.role, operation)) {
    throw new RegtopoError(
      'E_POLICY',
      `refusing to ${operation} into registry "${registry.name}" (role ${registry.role}): ${registry.role} is ${WRITTEN_BY[registry.role]}${insteadHint(config, registry)} [rule ${WRITE_AUTHORITY_RULE}]`,
    );
  }
  return registry;
}

/** The command that may write where the refused one may not, so the refusal says what to do next. */
function insteadHint(config: Topology, registry: RegistrySpec): string {
  if (registry.role === 'prod') {
    const stages = config.promotion.stages.filter((st) => st.to === registry.name).map((st) => st.name);
    return stages.length ? `; use: regtopo promote IMAGE --to ${stages.join('|')}` : '; declare a promotion stage into it and use regtopo promote';
  }
  if (registry.role === 'replica') return `; use: regtopo replicate --replica ${registry.name}`;
  if (registry.role === 'archive') return '; use: regtopo mirror';
  return '';
}

/**
 * The `authorizeWrite` hook copy and tag take: registry targets must be writable for `operation`;
 * OCI layouts on disk are outside the topology and always allowed.
 */
export function writeGuard(config: Topology, operation: WriteOperation): (target: Location) => void {
  return (target) => {
    if (target.kind === 'registry') assertWriteAllowed(config, target.ref, operation);
  };
}
