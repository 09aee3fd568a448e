// Median wall time of `regtopo --version` and `regtopo --help`, spawned as a user would run them.
import { spawnSync } from 'node:child_process';

const runs = Number(process.argv[2] ?? 21);
for (const args of [['--version'], ['--help']]) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, ['bin/regtopo.js', ...args], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`regtopo ${args.join(' ')} exited ${r.status}`);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(`regtopo ${args.join(' ').padEnd(10)} median ${times[Math.floor(runs / 2)].toFixed(1)} ms (min ${times[0].toFixed(1)})`);
}
