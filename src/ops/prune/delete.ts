/**
 * Deleting by digest (distribution-spec "deleting manifests"), and finding out first whether the
 * registry deletes at all. Distribution refuses every manifest DELETE with 405 UNSUPPORTED unless
 * `storage.delete.enabled` is set, and checks that before looking the digest up, so a DELETE of a
 * digest no registry can hold is a harmless probe: 404 (or 202) means deletes work, 405 means they
 * are off. prune probes every registry before deleting anything anywhere.
 */
import { createHash } from 'node:crypto';
import { RegistryError, RegtopoError } from '../../errors.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import { subjectKey } from '../promotion/records.js';
import type { RecordTag } from './repository-facts.js';

/** sha256 of a text no manifest is: a digest no registry holds. */
const PROBE_DIGEST = `sha256:${createHash('sha256').update('regtopo prune: delete probe, not a manifest').digest('hex')}`;

/** The registry answered a DELETE with 405: deletes are switched off there, so the run stops. */
export class DeletesRefusedError extends RegtopoError {
  readonly registry: string;
  constructor(registryName: string, status: number) {
    super('E_REGISTRY', `registry "${registryName}" refuses deletes (${status} UNSUPPORTED): enable storage.delete.enabled in its configuration (Distribution config.yml), then rerun`);
    this.name = 'DeletesRefusedError';
    this.registry = registryName;
  }
}

function deletesRefused(registryName: string, status: number): DeletesRefusedError {
  return new DeletesRefusedError(registryName, status);
}

export async function probeDeletes(repo: RegistryRepository, registryName: string): Promise<void> {
  try {
    await repo.deleteManifest(PROBE_DIGEST);
  } catch (err) {
    if (err instanceof RegistryError && err.status === 405) throw deletesRefused(registryName, err.status);
    throw err;
  }
}

/**
 * Deletes the image manifest, then the status and approval records about it (by their manifest
 * digests): image first, so a failure never leaves an image without its evidence. Returns how many
 * record manifests went with it.
 */
export async function deleteWithRecords(repo: RegistryRepository, registryName: string, digest: string, records: Map<string, RecordTag[]>): Promise<number> {
  await deleteOrExplain(repo, registryName, digest);
  let deleted = 0;
  const seen = new Set<string>();
  for (const record of records.get(subjectKey(digest)) ?? []) {
    // Promoted digests are never deleted, so their promotion records never get here.
    if (record.kind === 'promotion') continue;
    const head = await repo.headManifest(record.tag);
    if (!head || seen.has(head.digest)) continue;
    seen.add(head.digest);
    await deleteOrExplain(repo, registryName, head.digest);
    deleted++;
  }
  return deleted;
}

async function deleteOrExplain(repo: RegistryRepository, registryName: string, digest: string): Promise<void> {
  try {
    await repo.deleteManifest(digest);
  } catch (err) {
    if (err instanceof RegistryError && err.status === 405) throw deletesRefused(registryName, err.status);
    throw err;
  }
}
