// Three projects: fast unit tests in Node, the Lit elements one by one (and what else behaves
// differently in a browser: any *.browser.test.ts) in real Chromium (Vitest browser mode), and
// end-to-end tests in real Chromium over real WebRTC.
import { playwright } from '@vitest/browser-playwright'
import { defineConfig } from 'vitest/config'
import { findChromium } from './scripts/find-chromium.js'
import { CHROMIUM_ARGS } from './test/support/browsers.js'
import { ENV_PREFIX, LIGHTER_PEER } from './vite.config.js'

/** Browser-mode test files: they run in Chromium, so the Node projects leave them out. */
const BROWSER_TESTS = 'test/**/*.browser.test.ts'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', BROWSER_TESTS],
          environment: 'node',
        },
      },
      {
        // Sources are served as the site build sees them: the same alias and env prefix.
        resolve: { alias: LIGHTER_PEER },
        envPrefix: ENV_PREFIX,
        test: {
          name: 'components',
          include: [BROWSER_TESTS],
          setupFiles: ['test/components/browser-setup.ts'],
          // Failure screenshots go with the rest of the test output, out of the sources.
          attachmentsDir: 'test-artifacts/component-attachments',
          browser: {
            enabled: true,
            headless: true,
            // Debian's Chromium: Playwright's own browser downloads are not used.
            provider: playwright({
              launchOptions: { executablePath: findChromium() ?? undefined, args: CHROMIUM_ARGS },
            }),
            instances: [{ browser: 'chromium' }],
            screenshotDirectory: 'test-artifacts/component-screenshots',
          },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Each file launches browser processes; two cores run them one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
})
