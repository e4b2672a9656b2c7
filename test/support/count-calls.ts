// Counting a page's calls to one function, passed through: how many timers, template clones and
// the like a piece of work asks for (counts hold where a loaded machine's times do not).
import { onTestFinished } from 'vitest'

/**
 * Counts the calls to `target[name]` from now until the test ends, each passed on to the
 * original; `take()` returns the count since the last take.
 */
export function countCalls<T extends object>(target: T, name: keyof T & string): { take(): number } {
  const original = target[name] as unknown as (...args: unknown[]) => unknown
  let count = 0
  const counted = function (this: unknown, ...args: unknown[]): unknown {
    count++
    return original.apply(this, args)
  }
  Object.defineProperty(target, name, { value: counted, configurable: true, writable: true })
  onTestFinished(() => {
    Object.defineProperty(target, name, { value: original, configurable: true, writable: true })
  })
  return {
    take() {
      const taken = count
      count = 0
      return taken
    },
  }
}
