// Runs before `npm test`: makes sure a Chromium exists for the end-to-end tests.
// As root on Debian it installs the `chromium` package; elsewhere it says what to install.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { findChromium } from './find-chromium.js'

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

if (findChromium() === null) {
  if (isRoot && existsSync('/usr/bin/apt-get') && process.env.CHROMIUM_PATH === undefined) {
    console.log('Chromium not found: installing Debian\'s chromium package for the end-to-end tests…')
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' })
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  }
  if (findChromium() === null) {
    console.error([
      'The end-to-end tests need Chromium and none was found.',
      'Install it (Debian/Ubuntu: `sudo apt-get install chromium`), or set CHROMIUM_PATH to a Chromium or Chrome executable.',
    ].join('\n'))
    process.exit(1)
  }
}
