/**
 * Manifest media types regtopo understands (OCI image-spec manifest.md / image-index.md, Docker
 * image manifest v2 schema 2). Schema 1 is recognised only to be refused clearly; non-distributable
 * layer types (image-spec layer.md, Docker "foreign" layers) are recognised so they can be left behind.
 */

export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  DockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  OciNonDistributableLayer: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OciNonDistributableLayerGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OciNonDistributableLayerZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
} as const;

const INDEX_TYPES = new Set<string>([MediaType.OciIndex, MediaType.DockerManifestList]);
const IMAGE_TYPES = new Set<string>([MediaType.OciManifest, MediaType.DockerManifest]);
const SCHEMA1_TYPES = new Set<string>([MediaType.DockerSchema1, MediaType.DockerSchema1Signed]);

/**
 * Sent on every manifest request: some registries (Distribution among them) answer a tag with 404
 * or a down-converted manifest unless the type is listed.
 */
export const MANIFEST_ACCEPT = [
  MediaType.OciIndex,
  MediaType.OciManifest,
  MediaType.DockerManifestList,
  MediaType.DockerManifest,
  MediaType.DockerSchema1Signed,
  MediaType.DockerSchema1,
].join(', ');

export function isIndexType(mediaType: string): boolean {
  return INDEX_TYPES.has(mediaType);
}

export function isImageManifestType(mediaType: string): boolean {
  return IMAGE_TYPES.has(mediaType);
}

export function isSchema1Type(mediaType: string): boolean {
  return SCHEMA1_TYPES.has(mediaType);
}

export function isManifestType(mediaType: string): boolean {
  return INDEX_TYPES.has(mediaType) || IMAGE_TYPES.has(mediaType);
}

export function isDockerManifestType(mediaType: string): boolean {
  return mediaType === MediaType.DockerManifest || mediaType === MediaType.DockerManifestList;
}

/** The OCI type of the same kind: what a document without its own `mediaType` field validly is. */
export function ociTypeOfKind(kind: 'index' | 'image'): string {
  return kind === 'index' ? MediaType.OciIndex : MediaType.OciManifest;
}

/** 'index', 'image', or undefined for a type that is not a (schema 2 / OCI) manifest. */
export function manifestKindOf(mediaType: string | undefined): 'index' | 'image' | undefined {
  if (mediaType === undefined) return undefined;
  if (INDEX_TYPES.has(mediaType)) return 'index';
  if (IMAGE_TYPES.has(mediaType)) return 'image';
  return undefined;
}

// Docker's foreign layer type has had an uncompressed twin in the wild; both mean "fetch from urls".
const FOREIGN_LAYER_PATTERN = /^application\/vnd\.docker\.image\.rootfs\.foreign\.diff\.tar(\.gzip)?$/;

/**
 * OCI non-distributable layer types (any compression) and Docker foreign layers: content whose
 * distribution may be restricted, fetched by clients from the descriptor's `urls`.
 */
export function isNonDistributableType(mediaType: string): boolean {
  return mediaType.startsWith('application/vnd.oci.image.layer.nondistributable.') || FOREIGN_LAYER_PATTERN.test(mediaType);
}

/** Manifests larger than this are refused on read: the limit Distribution and others enforce. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
