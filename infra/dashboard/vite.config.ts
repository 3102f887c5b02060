import { defineConfig } from 'vite';

// Relative asset URLs: the same build is served under /ui/ by the local host and at the root of
// the CloudFront distribution.
export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
  logLevel: 'warn',
});
