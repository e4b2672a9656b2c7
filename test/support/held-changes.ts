// A document-changes source for transport tests that delivers when the test says so, where a
// room's own (history/deferred-updates.ts) delivers after the page drew its changes.

type Listener = (update: Uint8Array, origins?: ReadonlySet<unknown>, more?: boolean) => void

/** Changes held until `deliver` hands one to every listener, as transport's DocumentChanges takes them. */
export class HeldChanges {
  readonly #listeners = new Set<Listener>()

  on(listener: Listener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Hands `update` on; `more`: it is a part, the rest of the changes so far follows (as DeferredUpdates cuts a large batch). */
  deliver(update: Uint8Array, more = false): void {
    for (const listener of this.#listeners) listener(update, undefined, more)
  }
}
