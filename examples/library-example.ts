/**
 * regtopo as a library, importing only the package root: load a topology, copy an image into the
 * stage's source registry, record and read its statuses, and plan its promotion.
 *
 *   node dist/examples/library-example.mjs registries.yaml SOURCE_REF TARGET_REF IMAGE STAGE
 *
 * SOURCE_REF is copied to TARGET_REF (typically where IMAGE enters STAGE: its repository in the
 * stage's source registry, at a source tag), TARGET_REF gets a `tests=passed` status, and promoting
 * IMAGE to STAGE is planned. Prints one JSON document; exits 2 on bad arguments or an invalid
 * topology, 1 on any other failure.
 */
import { clientForTopology, copy, formatDiagnostic, getStatuses, isRegtopoError, loadTopology, plan, setStatus, type RegistryClient } from 'regtopo';

async function main(args: string[]): Promise<number> {
  const [file, source, target, image, stage] = args;
  if (!file || !source || !target || !image || !stage) {
    process.stderr.write('usage: library-example registries.yaml SOURCE_REF TARGET_REF IMAGE STAGE\n');
    return 2;
  }
  const loaded = await loadTopology({ path: file });
  if (!loaded.valid) {
    for (const d of loaded.errors) process.stderr.write(`${formatDiagnostic(loaded.file, d)}\n`);
    return 2;
  }
  const topology = loaded.config;
  // One client for every call: its connection pools and tokens are shared, and we close it once.
  const client: RegistryClient = clientForTopology(topology);
  try {
    const copied = await copy(source, target, { client });
    await setStatus(target, 'tests', 'passed', { client, topology, detail: 'from the library example' });
    const statuses = await getStatuses(target, { client, topology });
    const planned = await plan(image, stage, { topology, client });
    process.stdout.write(`${JSON.stringify({
      copied: { target: copied.target, digest: copied.digest, blobs: copied.blobs },
      statuses: statuses.current.map((s) => ({ name: s.name, value: s.value, by: s.by })),
      plan: { action: planned.action, gatesPassed: planned.gatesPassed, approval: planned.approval.state, targets: planned.targets.map((t) => t.ref) },
    }, null, 2)}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`library-example: ${isRegtopoError(err) ? `[${err.code}] ` : ''}${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await client.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
