// The presence store's listeners: order, several per event, removal, and isolation of failures.
// The state logic itself is covered by presence-state.test.ts.

import { afterEach, describe, expect, it, vi } from 'vitest'
import type { PresenceDiff, PresenceState } from '../../src/presence/presence-state.js'
import { PresenceStore } from '../../src/presence/presence-store.js'

function state(entries: [string, string[]][]): PresenceState {
  return new Map(entries.map(([key, refs]) => [key, { metas: refs.map((ref) => ({ ref })) }]))
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('PresenceStore', () => {
  it('fires joins, then leaves, then the diff, then sync, with the state already applied', () => {
    const store = new PresenceStore()
    store.applyState(
      state([
        ['u1', ['1']],
        ['u2', ['2']],
      ]),
    )
    const events: string[] = []
    store.onSync(() => events.push(`sync ${[...store.state.keys()].join(',')}`))
    store.onDiff((diff) => events.push(`diff +${[...diff.joins.keys()]} -${[...diff.leaves.keys()]}`))
    store.onLeave((key) => events.push(`leave ${key} ${store.getByKey(key) === undefined}`))
    store.onJoin((key) => events.push(`join ${key} ${store.getByKey(key) !== undefined}`))

    const diff = store.applyState(
      state([
        ['u1', ['1']],
        ['u3', ['3']],
      ]),
    )

    expect(events).toEqual(['join u3 true', 'leave u2 true', 'diff +u3 -u2', 'sync u1,u3'])
    expect([...diff.joins.keys()]).toEqual(['u3'])
  })

  it('does not fire onDiff for an empty diff, but still fires onSync', () => {
    const store = new PresenceStore()
    const onDiff = vi.fn()
    const onSync = vi.fn()
    store.onDiff(onDiff)
    store.onSync(onSync)

    store.applyDiff({ joins: new Map(), leaves: new Map() } satisfies PresenceDiff)

    expect(onDiff).not.toHaveBeenCalled()
    expect(onSync).toHaveBeenCalledTimes(1)
  })

  it('a throwing listener neither stops the others nor the state change; its error is rethrown asynchronously', () => {
    const deferred: (() => void)[] = []
    vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((callback) => {
      deferred.push(callback)
    })
    const store = new PresenceStore()
    const failure = new Error('listener failed')
    const after = vi.fn()
    store.onJoin(() => {
      throw failure
    })
    store.onJoin(after)

    expect(() => store.applyState(state([['u1', ['1']]]))).not.toThrow()

    expect(after).toHaveBeenCalledTimes(1)
    expect(store.getByKey('u1')).toEqual({ metas: [{ ref: '1' }] })
    expect(deferred).toHaveLength(1)
    expect(deferred[0]).toThrow(failure)
  })

  it('clearListeners() removes every listener', () => {
    const store = new PresenceStore()
    const listener = vi.fn()
    store.onJoin(listener)
    store.onLeave(listener)
    store.onDiff(listener)
    store.onSync(listener)

    store.clearListeners()
    store.applyState(state([['u1', ['1']]]))
    store.applyState(state([]))

    expect(listener).not.toHaveBeenCalled()
  })
})
