// Preloaded into a CLI child (NODE_OPTIONS=--require) by body-cap tests: reports the process's peak
// resident set size on exit, as one stderr line the test picks out.
'use strict';
process.on('exit', () => {
  require('node:fs').writeSync(2, `\nregtopo-test-max-rss-kb=${process.resourceUsage().maxRSS}\n`);
});
