// Parley's layer rules (issue 11, "The house"), checked by dependency-cruiser on src/ and signaling/.
// test/lint/layers.test.ts runs these rules on fixture trees, so every rule here is known to fire.

/** The layer folders under src/, each importing only the layers listed here (its own folder is always allowed). */
const LAYERS = {
  components: ['room', 'tasks'],
  room: ['history', 'identity', 'membership', 'address', 'transport', 'presence', 'updates', 'tasks'],
  membership: ['history', 'identity', 'address', 'presence', 'tasks'],
  history: ['identity', 'address', 'updates', 'tasks'],
  identity: ['address', 'tasks'],
  transport: ['updates', 'tasks'],
  address: ['tasks'],
  presence: ['tasks'],
  updates: [],
  tasks: [],
}

/** The entry modules at src/ level and the layers they may import. */
const ENTRIES = { main: ['components', 'room'], lib: ['components', 'room'] }

/** npm packages that speak WebRTC: only src/transport may import them. */
const WEBRTC_PACKAGES = ['y-webrtc', 'simple-peer', 'simple-peer-light']

/**
 * Code that loads on demand (ARCHITECTURE.md, "What loads first"): other code reaches it only
 * through import(), or for its types. One static value import would put it (for transport/,
 * all of it, through its index.ts) back into what loads first.
 */
const ON_DEMAND = ['^src/transport/', '^src/components/message-actions\\.ts$', '^src/components/mention-completion\\.ts$']

/** Lit and its parts: only components (and the entries that define them) may import them. */
const LIT_PACKAGES = ['lit', 'lit-html', 'lit-element', '@lit/reactive-element', '@lit-labs/[^/]+']

const layerNames = Object.keys(LAYERS).join('|')
const anyOf = (names) => `(${names.join('|')})`
// Resolved npm paths may climb out of the cruised folder (fixtures), so match node_modules anywhere.
const npmPath = (names) => `(^|/)node_modules/${anyOf(names)}/`

/** One rule per layer: it may import its own folder and the layers the table allows, nothing else in src. */
const layerRules = Object.entries(LAYERS).map(([layer, allowed]) => ({
  name: `layer-${layer}`,
  comment:
    allowed.length === 0
      ? `src/${layer} imports nothing from the other layers (issue 11 layer table).`
      : `src/${layer} may import only ${allowed.join(', ')} (issue 11 layer table).`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: '^src/', pathNot: `^src/${anyOf([layer, ...allowed])}/` },
}))

/** One rule per entry module: it may import only the layers listed for it. */
const entryRules = Object.entries(ENTRIES).map(([entry, allowed]) => ({
  name: `entry-${entry}`,
  comment: `src/${entry}.ts may import only ${allowed.join(', ')}.`,
  severity: 'error',
  from: { path: `^src/${entry}\\.ts$` },
  to: { path: '^src/', pathNot: `^src/${anyOf(allowed)}/` },
}))

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles anywhere (type-only imports count too).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'layer-index-only',
      comment: "Another folder is imported only through its index.ts, the folder's one public surface.",
      severity: 'error',
      // $1 is the importing file's folder (or the entry file's name), so imports within a folder stay free.
      from: { path: '^src/([^/]+)' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'layer-folders',
      comment: `Code under src/ lives in a layer folder (${layerNames.replaceAll('|', ', ')}) or is an entry (main.ts, lib.ts).`,
      severity: 'error',
      from: { path: '^src/', pathNot: [`^src/(${layerNames})/`, `^src/${anyOf(Object.keys(ENTRIES))}\\.ts$`, '^src/env\\.d\\.ts$'] },
      to: {},
    },
    ...layerRules,
    ...entryRules,
    {
      name: 'webrtc-only-in-transport',
      comment: `Only src/transport imports ${WEBRTC_PACKAGES.join(', ')}.`,
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/transport/' },
      to: { path: npmPath(WEBRTC_PACKAGES) },
    },
    {
      name: 'on-demand-by-import-only',
      comment: 'What loads on demand is reached only by import() or for its types, or it would load first again.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/transport/' },
      to: { path: ON_DEMAND, dependencyTypesNot: ['type-only', 'dynamic-import'] },
    },
    {
      name: 'lit-only-in-components',
      comment: 'Only components (and the entries) import Lit; the layers below never touch the DOM.',
      severity: 'error',
      from: { path: '^src/', pathNot: [`^src/components/`, `^src/${anyOf(Object.keys(ENTRIES))}\\.ts$`] },
      to: { path: npmPath(LIT_PACKAGES) },
    },
    {
      name: 'components-npm-lit-only',
      comment: 'Components get state through room, so of npm packages they import only Lit (not yjs, y-protocols...).',
      severity: 'error',
      from: { path: '^src/components/' },
      to: { path: '(^|/)node_modules/', pathNot: npmPath(LIT_PACKAGES) },
    },
    {
      name: 'src-not-signaling-or-test',
      comment: 'The browser code imports nothing from the signaling server or the tests.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(signaling|test)/' },
    },
    {
      name: 'signaling-separate',
      comment: 'signaling/ is a separate Node program: it imports nothing from src/ or test/.',
      severity: 'error',
      from: { path: '^signaling/' },
      to: { path: '^(src|test)/' },
    },
    {
      name: 'src-no-dev-dependencies',
      comment: 'What ships (src/, signaling/) does not import devDependencies (types and triple-slash references aside).',
      severity: 'error',
      from: { path: '^(src|signaling)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only', 'triple-slash-directive'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves to a file or an installed package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too: a layer must not import an upper layer's types either.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
}
