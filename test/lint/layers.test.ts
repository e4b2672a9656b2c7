// The layer rules in .dependency-cruiser.cjs, run on fixture trees: the good layout passes, and
// each bad import in the bad tree is reported by the rule meant for it, and by no other.
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { type ICruiseResult, type IConfiguration, cruise } from 'dependency-cruiser'
import { describe, expect, it } from 'vitest'

const CRUISE_TIMEOUT_MS = 60_000

const root = fileURLToPath(new URL('../../', import.meta.url))
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url))
const config = createRequire(import.meta.url)(`${root}.dependency-cruiser.cjs`) as IConfiguration

/** Cruises src/ and signaling/ of one fixture tree with the project's rules; paths in the result are relative to the tree. */
async function cruiseFixture(name: string): Promise<ICruiseResult> {
  const { output } = await cruise(['src', 'signaling'], {
    ...config.options,
    baseDir: `${fixtures}${name}`,
    tsConfig: { fileName: `${root}tsconfig.json` },
    validate: true,
    ruleSet: { forbidden: config.forbidden ?? [] },
    outputType: 'json',
  })
  return typeof output === 'string' ? (JSON.parse(output) as ICruiseResult) : output
}

/** Each violation as "rule: from -> to" (a cycle as its sorted members), sorted, so a failure shows the whole difference at once. */
function violations(result: ICruiseResult): string[] {
  return result.summary.violations
    .map(({ rule, from, to, cycle }) =>
      cycle === undefined
        ? `${rule.name}: ${from} -> ${to}`
        : `${rule.name}: ${[...new Set([from, ...cycle.map(({ name }) => name)])].sort().join(' <-> ')}`,
    )
    .sort()
}

describe('layer rules', () => {
  it('pass the good layout', { timeout: CRUISE_TIMEOUT_MS }, async () => {
    const result = await cruiseFixture('good')
    expect(violations(result)).toEqual([])
    // The tree was really cruised: every fixture module, the npm packages it imports, and their edges.
    expect(result.summary.totalCruised).toBeGreaterThanOrEqual(14)
    expect(result.summary.totalDependenciesCruised).toBeGreaterThanOrEqual(20)
  })

  it('report each bad import by its rule', { timeout: CRUISE_TIMEOUT_MS }, async () => {
    const result = await cruiseFixture('bad')
    const reported = violations(result).map((line) => line.replace(/\S*node_modules\/([^/]+)\/\S*/, 'npm:$1'))
    expect(reported).toEqual(
      [
        'layer-components: src/components/reads-history.ts -> src/history/index.ts',
        'components-npm-lit-only: src/components/uses-yjs.ts -> npm:yjs',
        'layer-index-only: src/room/deep-import.ts -> src/history/messages.ts',
        'webrtc-only-in-transport: src/room/provider.ts -> npm:y-webrtc',
        'on-demand-by-import-only: src/room/eager-transport.ts -> src/transport/index.ts',
        'src-not-signaling-or-test: src/room/uses-test.ts -> test/helper.ts',
        'layer-transport: src/transport/calls-up.ts -> src/room/index.ts',
        'lit-only-in-components: src/history/uses-lit.ts -> npm:lit',
        'no-circular: src/presence/cycle-a.ts <-> src/presence/cycle-b.ts',
        'layer-folders: src/misc/stray.ts -> src/address/index.ts',
        'entry-main: src/main.ts -> src/history/index.ts',
        'signaling-separate: signaling/uses-src.ts -> src/address/index.ts',
      ].sort(),
    )
  })
})
