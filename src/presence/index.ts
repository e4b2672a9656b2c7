// The presence layer's public surface: Phoenix presence semantics over y-protocols awareness.
// Import from here; the modules behind it may be split or merged.

export * from './presence-state.js'
export * from './presence-store.js'
export * from './presence-field.js'
export * from './awareness-snapshot.js'
export * from './awareness-presence.js'
export * from './typing.js'
