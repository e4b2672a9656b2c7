// The tasks layer's public surface: when work runs (a task of its own, before the next paint,
// after the page drew, in an idle moment), and how much of it may (a token bucket). Imports
// nothing; every layer may import it.
export { beforeNextPaint } from './before-paint.js'
export { afterDraw, nextTask } from './next-task.js'
export { whenIdle } from './when-idle.js'
export { type BucketRate, perSecond, refilled, TokenBucket, waitMs } from './token-bucket.js'
