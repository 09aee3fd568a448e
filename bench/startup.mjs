// Start-up floors: median wall time of `node -e 0` (the runtime alone) next to `regtopo --version`
// and `regtopo --help`, spawned as a user would run them. When NODE_EXTRA_CA_CERTS is set (this
// machine's image sets it), Node parses that CA bundle before running any JavaScript, so every row
// is measured with the environment as it is and again without that variable.
import { spawnSync } from 'node:child_process';

const runs = Number(process.argv[2] ?? 21);
const envs = [['as is', process.env]];
if (process.env.NODE_EXTRA_CA_CERTS) {
  const { NODE_EXTRA_CA_CERTS: _unused, ...rest } = process.env;
  envs.push(['without NODE_EXTRA_CA_CERTS', rest]);
}
const commands = [['node -e 0', ['-e', '0']], ['regtopo --version', ['bin/regtopo.js', '--version']], ['regtopo --help', ['bin/regtopo.js', '--help']]];

for (const [envName, env] of envs) {
  console.log(`environment ${envName}:`);
  for (const [name, args] of commands) {
    const times = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const r = spawnSync(process.execPath, args, { stdio: 'ignore', env });
      if (r.status !== 0) throw new Error(`${name} exited ${r.status}`);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    console.log(`  ${name.padEnd(18)} median ${times[Math.floor(runs / 2)].toFixed(1)} ms (min ${times[0].toFixed(1)})`);
  }
}
