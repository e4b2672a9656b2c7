// lib0/logging as the site and the library ship it (vite.config.ts, LIGHTER_LOGGING). Yjs and
// y-webrtc print a few warnings and debug lines through it; lib0's own module colours them in
// the console with lib0/dom and lib0/schema, whose side effects kept about 2.4 KB gzipped in what
// loads first. These are the same names over lib0's plain logging; Node keeps lib0's module.
import * as common from '../node_modules/lib0/logging.common.js'

export { BOLD, UNBOLD, BLUE, GREY, GREEN, RED, PURPLE, ORANGE, UNCOLOR } from '../node_modules/lib0/logging.common.js'

export const print = (...args) => console.log(...common.computeNoColorLoggingArgs(args))

export const warn = (...args) => console.warn(...common.computeNoColorLoggingArgs(args))

export const printError = (error) => console.error(error)

export const createModuleLogger = (moduleName) => common.createModuleLogger(print, moduleName)
