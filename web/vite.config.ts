import { defineConfig } from 'vite';

// The console is served by `skytrace serve` from its root; `npm run dev` proxies the API to a local server.
export default defineConfig({
  base: '/',
  // MapLibre's worker is bundled by Vite as a module worker (see src/map.ts).
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { '/api': process.env.SKYTRACE_URL ?? 'http://127.0.0.1:8080' },
  },
});
