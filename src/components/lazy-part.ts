// Parts of the elements that load on first use, through a dynamic import(), so that what a page
// loads first stays small (ARCHITECTURE.md, "What loads first"): the module, once here, for all.

/**
 * One lazily loaded module, shared by every element that uses it: `module` is there
 * synchronously once the import settled, so a render can draw with it or without it.
 */
export class LazyModule<M> {
  #import: () => Promise<M>
  #module: M | undefined = undefined
  #loading: Promise<M> | null = null
  #failed = false

  constructor(load: () => Promise<M>) {
    this.#import = load
  }

  /** The module once loaded; undefined before. */
  get module(): M | undefined {
    return this.#module
  }

  /** Whether the last attempt failed (offline, or the chunk is missing next to the script). */
  get failed(): boolean {
    return this.#failed
  }

  /** Starts loading, once; after a failure, the next call tries again. */
  load(): Promise<M> {
    if (this.#loading === null) {
      this.#failed = false
      this.#loading = this.#import().then(
        (module) => {
          this.#module = module
          return module
        },
        (error: unknown) => {
          this.#failed = true
          this.#loading = null
          throw error
        },
      )
    }
    return this.#loading
  }
}

/** What `LazyPart` needs of its element: a Lit host's `requestUpdate`. */
interface UpdatingHost {
  requestUpdate(): void
}

/**
 * An element's handle on a `LazyModule`: `use()` returns the module when it is here and
 * otherwise starts loading it and redraws the element when it arrives (or failed).
 */
export class LazyPart<M> {
  #host: UpdatingHost
  #lazy: LazyModule<M>

  constructor(host: UpdatingHost, lazy: LazyModule<M>) {
    this.#host = host
    this.#lazy = lazy
  }

  /** Whether the last attempt to load failed: the element says so and offers to try again. */
  get failed(): boolean {
    return this.#lazy.failed
  }

  /** The module if loaded; else undefined, and it is on its way. */
  use(): M | undefined {
    const module = this.#lazy.module
    // A failure shows in `failed`, which the element draws with a way to try again.
    if (module === undefined && !this.#lazy.failed) void this.load().catch(() => undefined)
    return module
  }

  /** Loads the module (at most once) and redraws the element when it settled; rejects on failure. */
  load(): Promise<M> {
    const module = this.#lazy.module
    if (module !== undefined) return Promise.resolve(module)
    return this.#lazy.load().finally(() => this.#host.requestUpdate())
  }
}
