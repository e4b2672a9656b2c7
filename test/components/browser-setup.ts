// Setup of the browser-mode component tests: Lit stays in dev mode there, for its checks,
// without its one-time "dev mode" notice, so that passing tests print nothing.
declare global {
  // Lit's registry of warnings already shown; a code in it is not shown again.
  var litIssuedWarnings: Set<string | undefined> | undefined
}

globalThis.litIssuedWarnings ??= new Set()
globalThis.litIssuedWarnings.add('dev-mode')

export {}
