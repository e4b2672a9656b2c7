// Runs before `npm test`: makes sure the programs the tests start are installed, Chromium and
// redis-server. As root on Debian it installs the missing packages; elsewhere it says what to install.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { findChromium } from './find-chromium.js'
import { findRedisServer } from './find-redis-server.js'

/** A program the tests start: what needs it, its Debian package, and the variable that points at another copy. */
interface TestDependency {
  readonly name: string
  readonly neededBy: string
  readonly debianPackage: string
  readonly pathVariable: string
  readonly find: () => string | null
}

/** Every program the tests need beyond npm packages; the one list of them (.ci/run relies on it). */
const TEST_DEPENDENCIES: readonly TestDependency[] = [
  { name: 'Chromium', neededBy: 'the end-to-end tests', debianPackage: 'chromium', pathVariable: 'CHROMIUM_PATH', find: findChromium },
  {
    name: 'redis-server',
    neededBy: 'the multi-instance signaling tests',
    debianPackage: 'redis-server',
    pathVariable: 'REDIS_SERVER_BIN',
    find: findRedisServer,
  },
]

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
const missing = (): TestDependency[] => TEST_DEPENDENCIES.filter((dependency) => dependency.find() === null)

// A path set by hand that does not exist is a mistake to report, not a reason to install.
const toInstall = missing().filter((dependency) => (process.env[dependency.pathVariable] ?? '') === '')
if (toInstall.length > 0 && isRoot && existsSync('/usr/bin/apt-get')) {
  const packages = toInstall.map((dependency) => dependency.debianPackage)
  console.log(`Installing the Debian packages the tests need: ${packages.join(', ')}…`)
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' })
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
}

const stillMissing = missing()
if (stillMissing.length > 0) {
  console.error(
    stillMissing
      .map((dependency) =>
        [
          `${dependency.name} not found: ${dependency.neededBy} need it.`,
          `Install it (Debian/Ubuntu: \`sudo apt-get install ${dependency.debianPackage}\`), or set ${dependency.pathVariable} to its executable.`,
        ].join('\n'),
      )
      .join('\n'),
  )
  process.exit(1)
}
