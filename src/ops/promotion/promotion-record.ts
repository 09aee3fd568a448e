/**
 * The promotion record: what was promoted where, on what evidence and whose approval. Written into
 * the target repository (so Prod holds the evidence for what it runs) and the source repository.
 */
import type { Descriptor } from '../../registry/descriptor.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import { writeRecord, type StoredRecord } from './records.js';

export interface PromotionBody {
  kind: 'promotion';
  subject: string;
  image: string;
  stage: string;
  from: string;
  to: string;
  /** The source as resolved: host/repo@digest (and the tag it was resolved from). */
  source: string;
  sourceTag?: string;
  /** host/repo:tag set in the target. */
  targets: string[];
  planHash: string;
  /** Status record digests the gates rested on. */
  evidence: string[];
  /** Approval record digests, and who approved. */
  approvals: string[];
  approvedBy: string[];
  version?: string;
  by: string;
  at: string;
}

export function writePromotionRecord(repo: RegistryRepository, subject: Descriptor, body: PromotionBody, now: number): Promise<StoredRecord<PromotionBody>> {
  return writeRecord(repo, subject, 'promotion', body, { name: body.stage, value: body.planHash, now });
}
