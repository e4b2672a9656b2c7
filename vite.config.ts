// Builds the static site. Relative asset URLs (base './') let dist/ run from any sub-path.
import { defineConfig } from 'vite'

export default defineConfig({
  base: './',
  envPrefix: ['VITE_', 'PARLEY_'],
  server: {
    port: Number(process.env.PORT ?? 5173),
    strictPort: true,
  },
  build: {
    target: 'es2022',
  },
})
