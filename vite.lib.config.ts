// Builds the embeddable library: one ES module, dist/lib/parley-chat.js, that registers
// <parley-chat>, and the chunks it loads on demand next to it. Run after the site build.
import { defineConfig } from 'vite'
import { ENV_PREFIX, LIGHTER_LOGGING, LIGHTER_PEER } from './vite.config.js'

export default defineConfig({
  envPrefix: ENV_PREFIX,
  resolve: { alias: { ...LIGHTER_PEER, ...LIGHTER_LOGGING } },
  // Library mode leaves process.env alone for bundlers downstream; this file runs as it is.
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    target: 'es2022',
    outDir: 'dist/lib',
    emptyOutDir: true,
    lib: {
      entry: 'src/lib.ts',
      formats: ['es'],
      fileName: () => 'parley-chat.js',
    },
    rolldownOptions: {
      // One entry file with lit, yjs and y-webrtc bundled; the parts used on demand (ARCHITECTURE.md,
      // "What loads first") are chunks next to it, which the entry imports by relative URL
      // (resolved against its own URL, so from wherever the page loaded it).
      // Vite keeps whitespace in ES libraries for downstream bundlers; these files are served as
      // they are, so they are minified like the site.
      // The chunks import what they share with the entry from the entry itself (under extra,
      // minified export names), so what loads first stays one file, not the entry and a chunk
      // it would have to fetch before it could run.
      preserveEntrySignatures: 'allow-extension',
      output: { chunkFileNames: 'parley-chat-[name]-[hash].js', minify: true, comments: { annotation: false } },
    },
  },
})
