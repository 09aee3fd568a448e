/**
 * Backup and restore: registries exported into an OCI image layout (image-spec image-layout.md)
 * with refs named `REPOSITORY:TAG` in `org.opencontainers.image.ref.name`, so skopeo and umoci read
 * them (`skopeo inspect oci:DIR:team/app:1.4.2`), and pushed back digest-exact by `restore`.
 */
export { backup, type BackupOptions, type BackupReport, type BackupRegistryReport, type BackupRefReport, type BackupAction } from './backup.js';
export { restore, type RestoreOptions, type RestoreReport, type RestoreRefReport, type RestoreAction } from './restore.js';
export { verifyLayout, type LayoutVerification } from './verify-layout.js';
export { REF_NAME_ANNOTATION, refName, splitRefName, readRefs } from './layout-refs.js';
