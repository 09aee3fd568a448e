#!/usr/bin/env node
// Kept tiny so `regtopo --version` does not load the CLI: everything else is imported on demand.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else {
  // undici parses HTTP with llhttp compiled to WebAssembly. By default V8 recompiles it with TurboFan
  // on background threads, and Node waits for that before exiting: ~120 ms added to every command
  // (measured). Liftoff code parses registry traffic as fast for our purposes (see bench notes).
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString('--liftoff-only');
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(process.argv);
}
