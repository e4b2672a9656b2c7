// The lazy modules behind the elements' on-demand parts: loaded once however often asked for,
// there synchronously afterwards, tried again after a failure, and the element redrawn either way.
import { describe, expect, it } from 'vitest'
import { LazyModule, LazyPart } from '../../src/components/lazy-part.js'

/** A loader that counts its calls and fails the first `failures` of them. */
function loader(failures = 0) {
  const calls = { count: 0 }
  const load = async () => {
    calls.count++
    if (calls.count <= failures) throw new Error('chunk missing')
    return { answer: 42 }
  }
  return { calls, load }
}

/** A LazyPart over `loader(failures)`, for an element stand-in that counts the redraws asked of it. */
function countedPart(failures = 0) {
  const { calls, load } = loader(failures)
  const host = {
    updates: 0,
    requestUpdate() {
      this.updates++
    },
  }
  return { calls, host, part: new LazyPart(host, new LazyModule(load)) }
}

describe('LazyModule', () => {
  it('loads once for every caller, and has the module synchronously after', async () => {
    const { calls, load } = loader()
    const lazy = new LazyModule(load)
    expect(lazy.module).toBeUndefined()
    const [a, b] = await Promise.all([lazy.load(), lazy.load()])
    expect(a).toBe(b)
    expect(lazy.module).toBe(a)
    await lazy.load()
    expect(calls.count).toBe(1)
  })

  it('says it failed, and tries again on the next load', async () => {
    const { calls, load } = loader(1)
    const lazy = new LazyModule(load)
    await expect(lazy.load()).rejects.toThrow('chunk missing')
    expect(lazy.failed).toBe(true)
    expect(lazy.module).toBeUndefined()
    await expect(lazy.load()).resolves.toEqual({ answer: 42 })
    expect(lazy.failed).toBe(false)
    expect(calls.count).toBe(2)
  })
})

describe('LazyPart', () => {
  it('starts loading on first use and redraws its element when the module is here', async () => {
    const { host, part } = countedPart()
    expect(part.use()).toBeUndefined()
    await expect.poll(() => host.updates).toBe(1)
    expect(part.use()).toEqual({ answer: 42 })
    expect(host.updates).toBe(1)
  })

  it('redraws after a failure too, and does not retry on its own until asked', async () => {
    const { calls, host, part } = countedPart(1)
    expect(part.use()).toBeUndefined()
    await expect.poll(() => host.updates).toBe(1)
    expect(part.failed).toBe(true)
    expect(part.use()).toBeUndefined()
    expect(calls.count).toBe(1)
    await expect(part.load()).resolves.toEqual({ answer: 42 })
    expect(part.failed).toBe(false)
    expect(host.updates).toBe(2)
  })
})
