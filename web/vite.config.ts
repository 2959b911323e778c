/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// React's JSX goes through esbuild (no React plugin). The build writes
// web/dist, which go:embed serves; LORE_WEB_OUT redirects it (the browser
// test builds into a temporary directory so the committed placeholder page
// in web/dist stays untouched).
export default defineConfig({
  esbuild: { jsx: 'automatic' },
  base: './',
  build: {
    outDir: process.env.LORE_WEB_OUT || 'dist',
    // Only a temporary output directory is emptied: web/dist keeps the committed
    // placeholder.html (make web-build removes the old assets itself).
    emptyOutDir: !!process.env.LORE_WEB_OUT,
    target: 'es2020',
    chunkSizeWarningLimit: 600,
  },
  test: {
    environment: 'jsdom',
    globals: true,
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
  },
});
