// Builds the embeddable library: one self-contained ES module, dist/lib/parley-chat.js, that
// registers <parley-chat>. Run after the site build (npm run build does both).
import { defineConfig } from 'vite'
import { ENV_PREFIX, LIGHTER_PEER } from './vite.config.js'

export default defineConfig({
  envPrefix: ENV_PREFIX,
  resolve: { alias: LIGHTER_PEER },
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
      // Everything in one file: lit, yjs and y-webrtc are bundled, nothing is loaded later.
      // Vite keeps whitespace in ES libraries for downstream bundlers; this file is served as
      // it is, so it is minified like the site.
      output: { codeSplitting: false, minify: true, comments: { annotation: false } },
    },
  },
})
