// A document-changes source for transport tests that delivers when the test says so, where a
// room's own (history/deferred-updates.ts) delivers after the page drew its changes.

/** Changes held until `deliver` hands one to every listener, as transport's DocumentChanges takes them. */
export class HeldChanges {
  readonly #listeners = new Set<(update: Uint8Array) => void>()

  on(listener: (update: Uint8Array) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  deliver(update: Uint8Array): void {
    for (const listener of this.#listeners) listener(update)
  }
}
