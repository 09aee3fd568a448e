/**
 * Record bodies are validated when read, against real registries: status records pushed under
 * genuine record tags but with wrong types, missing fields, an oversized field or an oversized
 * payload are left out with a warning by getStatuses and plan, and never satisfy a gate or outvote
 * a valid record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStatuses, history, inventory, plan, setStatus } from '../../src/index.js';
import type { InvalidRecord } from '../../src/ops/promotion/records.js';
import { writeRecord } from '../../src/ops/promotion/records.js';
import type { RegistryClient } from '../../src/registry/registry-client.js';
import { Reference } from '../../src/ref/reference.js';
import { promotionFixture, pushVersioned, startPromotionRegistries, type PromotionRegistries } from '../support/promotion-topology.js';
import { registrySkipReason } from '../support/registry.js';

const skip = registrySkipReason();

describe.skipIf(skip)('malformed records', () => {
  let regs: PromotionRegistries;
  const clients: RegistryClient[] = [];
  beforeAll(async () => {
    regs = await startPromotionRegistries();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await regs?.stop();
  });

  /** An image in ci-tests (the prod stage's source) plus status records claiming scan=clean, each malformed its own way. */
  async function withForgedRecords() {
    const fx = promotionFixture(regs, { noApproval: true });
    clients.push(fx.client);
    const built = await pushVersioned(regs.tests, fx.repo, 'tested', '1.0.0');
    const repo = fx.client.repository(Reference.parse(`${regs.tests.host}/${fx.repo}`));
    const subject = { mediaType: built.mediaType, digest: built.digest, size: built.size };
    const at = new Date().toISOString();
    const valid = { kind: 'status', subject: built.digest, name: 'scan', value: 'clean', by: 'scanner', at, supersedes: [] };
    const forged: Array<[string, object]> = [
      ['wrong type', { ...valid, value: ['clean'] }],
      ['missing fields', { kind: 'status', subject: built.digest, name: 'scan', value: 'clean' }],
      ['oversized field', { ...valid, detail: 'x'.repeat(100_000) }],
      ['oversized payload', { ...valid, padding: 'x'.repeat(1_200_000) }],
      ['wrong kind', { ...valid, kind: 'approval' }],
    ];
    for (const [, body] of forged) await writeRecord(repo, subject, 'status', body, { name: 'scan', value: 'clean' });
    return { ...fx, built, ref: `${regs.tests.host}/${fx.repo}:tested`, count: forged.length };
  }

  it('getStatuses leaves every malformed status record out and names each one in its warnings', async () => {
    const { ref, client, count } = await withForgedRecords();
    const st = await getStatuses(ref, { client });
    expect(st.current).toEqual([]);
    expect(st.history).toEqual([]);
    const ignored = st.warnings.filter((w) => w.startsWith('ignored malformed status record'));
    expect(ignored).toHaveLength(count);
    expect(ignored.join('\n')).toMatch(/value: Invalid input: expected string, received array/);
    expect(ignored.join('\n')).toMatch(/by: Invalid input/);
    expect(ignored.join('\n')).toMatch(/detail: Too big/);
    expect(ignored.join('\n')).toMatch(/exceeds the 1048576-byte record limit/);
    expect(ignored.join('\n')).toMatch(/kind: Invalid input/);
    // Warnings stay one short line each: nothing of the forged content is echoed.
    for (const w of ignored) expect(w.length).toBeLessThan(400);
  });

  it('plan: the gate is not satisfied by malformed records, and the plan warns about them', async () => {
    const { topology, client, count } = await withForgedRecords();
    const p = await plan('app', 'prod', { topology, client });
    expect(p.gatesPassed).toBe(false);
    expect(p.gates[0]).toMatchObject({ status: 'scan', satisfied: false });
    expect(p.evidence).toEqual([]);
    expect(p.warnings?.filter((w) => w.startsWith('ignored malformed status record'))).toHaveLength(count);
  });

  it('a malformed record never outvotes a valid one: dirty stays current over a forged newer clean', async () => {
    const fx = promotionFixture(regs, { noApproval: true });
    clients.push(fx.client);
    const built = await pushVersioned(regs.tests, fx.repo, 'tested', '1.0.0');
    const ref = `${regs.tests.host}/${fx.repo}:tested`;
    const dirty = await setStatus(ref, 'scan', 'dirty', { client: fx.client, topology: fx.topology, by: 'scanner' });
    const repo = fx.client.repository(Reference.parse(`${regs.tests.host}/${fx.repo}`));
    // Supersedes the dirty record, as a real later write would, but its value is not a string.
    await writeRecord(repo, { mediaType: built.mediaType, digest: built.digest, size: built.size }, 'status',
      { kind: 'status', subject: built.digest, name: 'scan', value: { equals: 'clean' }, by: 'scanner', at: new Date().toISOString(), supersedes: [dirty.status.record] },
      { name: 'scan', value: 'clean', now: Date.now() + 1000 });
    const st = await getStatuses(ref, { client: fx.client });
    expect(st.current).toEqual([expect.objectContaining({ name: 'scan', value: 'dirty', record: dirty.status.record })]);
    const p = await plan('app', 'prod', { topology: fx.topology, client: fx.client });
    expect(p.gates[0]).toMatchObject({ satisfied: false, value: 'dirty' });
    expect(p.warnings).toEqual([expect.stringMatching(/^ignored malformed status record .*: value: Invalid input/)]);
  });

  it('history and inventory leave malformed records out and tell onInvalidRecord about each', async () => {
    const { topology, client, built, repo: name } = await withForgedRecords();
    const prod = client.repository(Reference.parse(`${regs.prod.host}/${name}`));
    const subject = { mediaType: built.mediaType, digest: built.digest, size: built.size };
    // A promotion record claiming prod got this digest, with a plan hash that is no digest and no `by`.
    await writeRecord(prod, subject, 'promotion', { kind: 'promotion', subject: built.digest, image: 'app', stage: 'prod', from: 'ci-tests', to: 'prod', source: 'x', targets: [], planHash: 'yes', at: new Date().toISOString() }, { name: 'prod' });
    const seen: InvalidRecord[] = [];
    const onInvalidRecord = (invalid: InvalidRecord) => seen.push(invalid);
    expect(await history('app', { topology, client, onInvalidRecord })).toEqual([]);
    expect(seen).toEqual([expect.objectContaining({ kind: 'promotion', where: expect.stringContaining(`${regs.prod.host}/${name}:rtp-`), problem: expect.stringMatching(/^planHash: not a digest/) })]);
    seen.length = 0;
    const entries = await inventory({ topology, client, onInvalidRecord });
    expect(entries.find((e) => e.registry === 'ci-tests')).toMatchObject({ digest: built.digest, statuses: [] });
    expect(seen.filter((i) => i.kind === 'status')).toHaveLength(5);
  });
});
