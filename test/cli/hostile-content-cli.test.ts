/**
 * The built CLI on hostile or broken content: malformed content exits 6 with one line naming the
 * field, schema 1 exits 1 with a clear message, --include-foreign reaches the copy, and the summary
 * gives the rate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRegistryBinary, startLocalRegistry, type LocalRegistry } from '../../src/demo/local-registry.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { buildImage, MT, sha256, uniqueRepo } from '../support/images.js';
import { entryFor, rawLayout } from '../support/oci-layout-builder.js';
import { imageWithForeignLayer, schema1Body } from '../support/odd-images.js';
import { runCli } from './run-cli.js';

describe.skipIf(!findRegistryBinary())('CLI: copy refuses hostile content with the right exit code', () => {
  let reg: LocalRegistry;
  let proxy: FaultProxy;

  beforeAll(async () => {
    reg = await startLocalRegistry({ manifestUrlsAllow: ['^https?://'] });
    proxy = await startFaultProxy(reg.url);
  });
  afterAll(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  it('exit 6 for a malformed descriptor in an OCI layout, one line naming the field and no JavaScript value', async () => {
    const layout = await rawLayout();
    await layout.writeIndex([{ mediaType: MT.ociManifest, size: 10, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }]);
    const r = await runCli(['copy', `oci:${layout.dir}:v1`, `${reg.host}/${uniqueRepo('cli-bad')}:v1`]);
    expect(r.code).toBe(6);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/index\.json manifests\[0\]: descriptor digest is missing, expected a string/);
    expect(r.stderr).not.toContain('undefined');
    const json = await runCli(['copy', `oci:${layout.dir}:v1`, `${reg.host}/${uniqueRepo('cli-bad')}:v1`, '-o', 'json']);
    expect(json.json().error).toMatchObject({ code: 'E_CONTENT_INVALID', exitCode: 6 });
  });

  it('exit 1 with "schema 1 manifests are not supported" for a registry serving schema 1', async () => {
    const repo = uniqueRepo('cli-schema1');
    const payloadDigest = sha256(Buffer.from('p'));
    proxy.addRule({ path: new RegExp(`/manifests/(old|${payloadDigest})$`), fault: {
      kind: 'serve', headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'docker-content-digest': payloadDigest }, body: schema1Body(repo, 'old'),
    } });
    const r = await runCli(['copy', `${proxy.host}/${repo}:old`, `${reg.host}/${repo}:old`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('schema 1 manifests are not supported');
    // inspect GETs first; the digest that never matches is recognised for what it is.
    const info = await runCli(['inspect', `${proxy.host}/${repo}:old`]);
    expect(info.code).toBe(1);
    expect(info.stderr).toContain('schema 1 manifests are not supported');
  });

  it('--include-foreign copies a non-distributable layer the source holds, also into a copy that left it behind', async () => {
    const layout = await rawLayout();
    const { withForeignBlob, foreign } = imageWithForeignLayer(buildImage({ layers: [2000] }), 'oci');
    await layout.addBuilt(withForeignBlob);
    await layout.writeIndex([entryFor(withForeignBlob, MT.ociManifest, 'v1')]);
    const repo = uniqueRepo('cli-foreign');
    const left = await runCli(['copy', `oci:${layout.dir}:v1`, `${reg.host}/${repo}:left`]);
    expect(left.code).toBe(0);
    expect(left.stdout).toContain('1 non-distributable layer(s) left behind');
    expect(left.stdout).toMatch(/already present; \d+(\.\d)? (B|KiB|MiB) in \d+\.\d s, \d+(\.\d)? (B|KiB|MiB)\/s/);
    expect((await fetch(`${reg.url}/v2/${repo}/blobs/${foreign.digest}`, { method: 'HEAD' })).status).toBe(404);
    const included = await runCli(['copy', `oci:${layout.dir}:v1`, `${reg.host}/${repo}:left`, '--include-foreign', '-o', 'json']);
    expect(included.code).toBe(0);
    expect(included.json()).toMatchObject({ foreignSkipped: 0, digest: withForeignBlob.digest });
    expect((await fetch(`${reg.url}/v2/${repo}/blobs/${foreign.digest}`, { method: 'HEAD' })).status).toBe(200);
  });
});
