// Where the Chromium for end-to-end tests is: $CHROMIUM_PATH, or Debian's usual paths.
// Shared by the pre-test check and the test harness so both agree.
import { existsSync } from 'node:fs'

const CANDIDATE_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']

/** The Chromium executable to use, or null when none is installed. */
export function findChromium(): string | null {
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv !== undefined && fromEnv.length > 0) return existsSync(fromEnv) ? fromEnv : null
  return CANDIDATE_PATHS.find((path) => existsSync(path)) ?? null
}
