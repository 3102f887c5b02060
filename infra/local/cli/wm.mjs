#!/usr/bin/env node
// The `wm` executable: loads the TypeScript CLI through tsx's API (tsx comes with `npm ci`), so
// nothing has to be built first.
import { tsImport } from 'tsx/esm/api';

await tsImport('./main.ts', import.meta.url);
