// The tasks layer's public surface: when work runs (a task of its own, after the page drew).
// Imports nothing; every layer below the components may import it.
export { afterDraw, nextTask } from './next-task.js'
