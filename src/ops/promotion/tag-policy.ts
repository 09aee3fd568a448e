/**
 * Tag policy of a stage: templates expanded for one digest ({version}, {digest12}, {date}), and
 * which target tags may move. A tag that is not moving is immutable: once it names a digest,
 * pointing it elsewhere is refused, while setting it to the same digest again is a no-op.
 */
import { RegtopoError } from '../../errors.js';
import { digestHex } from '../../ref/digest.js';
import { parseManifest, type RawManifest } from '../../registry/descriptor.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import type { PromotionStageSpec } from '../../topology/model.js';
import { isTag } from '../../ref/tag.js';

export const VERSION_LABEL = 'org.opencontainers.image.version';

const PLACEHOLDER = /\{(version|digest12|date)\}/g;

export function needsVersion(templates: readonly string[]): boolean {
  return templates.some((t) => t.includes('{version}'));
}

export interface TemplateValues {
  digest: string;
  version?: string;
  /** Milliseconds since the epoch; {date} is its UTC YYYYMMDD unless `date` is given. */
  now: number;
  /** {date} fixed elsewhere (by an approval), YYYYMMDD. */
  date?: string;
  /**
   * Without a version, leave `{version}` in the tag as written instead of refusing: for listings
   * of what waits (`approvals --pending`), never for a plan that is approved or promoted.
   */
  keepVersion?: boolean;
}

/** Whether a tag still holds its `{version}` template text (expanded with keepVersion). */
export function isUnexpanded(tag: string): boolean {
  return tag.includes('{version}');
}

export function expandTagTemplates(templates: readonly string[], values: TemplateValues): string[] {
  const date = values.date ?? new Date(values.now).toISOString().slice(0, 10).replaceAll('-', '');
  const tags = templates.map((template) => {
    const tag = template.replace(PLACEHOLDER, (_m, name: string) => {
      if (name === 'digest12') return digestHex(values.digest).slice(0, 12);
      if (name === 'date') return date;
      if (values.version === undefined) {
        if (values.keepVersion) return '{version}';
        throw new RegtopoError('E_USAGE', `tag template "${template}" needs {version}: the image has no ${VERSION_LABEL} label; pass --version`);
      }
      return values.version;
    });
    // An unexpanded tag must be valid around its {version}: checked with a one-character stand-in.
    if (!isTag(values.keepVersion ? tag.replaceAll('{version}', '0') : tag)) throw new RegtopoError('E_REF_INVALID', `tag template "${template}" expands to an invalid tag "${tag}"`);
    return tag;
  });
  return [...new Set(tags)];
}

export function isMovingTag(stage: PromotionStageSpec, tag: string): boolean {
  return stage.movingTags.includes(tag);
}

/** The version label of an image (an index: of its first child), if any. */
export async function imageVersion(repo: RegistryRepository, digest: string): Promise<string | undefined> {
  let raw: RawManifest = await repo.getManifest(digest);
  let parsed = parseManifest(raw, `${repo.description}@${digest}`);
  if (parsed.kind === 'index') {
    const first = parsed.manifests.find((m) => m.platform?.architecture !== 'unknown') ?? parsed.manifests[0];
    if (!first) return undefined;
    raw = await repo.getManifest(first.digest);
    parsed = parseManifest(raw, `${repo.description}@${first.digest}`);
    if (parsed.kind !== 'image') return undefined;
  }
  if (parsed.config.size > 1 << 20) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of await repo.openBlob(parsed.config)) chunks.push(chunk as Buffer);
  try {
    const doc = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { config?: { Labels?: Record<string, string> | null } };
    const version = doc.config?.Labels?.[VERSION_LABEL];
    return typeof version === 'string' && version.length > 0 ? version : undefined;
  } catch {
    return undefined;
  }
}
