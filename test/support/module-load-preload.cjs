'use strict';
// Preload (`node --require`) for start-up tests: at exit, writes the built-in modules the process
// loaded (process.moduleLoadList, which records each one whoever required it) to the file named
// by REGTOPO_TEST_MODULE_LIST, one per line.
process.on('exit', () => {
  const out = process.env.REGTOPO_TEST_MODULE_LIST;
  if (out) require('node:fs').writeFileSync(out, process.moduleLoadList.join('\n'));
});
