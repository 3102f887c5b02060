import { readFile, writeFile } from 'node:fs/promises';
import { run } from './wm.js';

// `wm` (package.json bin) --> wm.mjs (tsx) --> here: the process's own I/O

process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  fetch: globalThis.fetch,
  out: (text) => process.stdout.write(text.startsWith('\r') ? text : `${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  readFile: (path) => readFile(path, 'utf8'),
  writeFile: (path, text) => writeFile(path, text, 'utf8'),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  isTty: process.stdout.isTTY === true,
});
