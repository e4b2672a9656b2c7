// What end-to-end tests put into a page to watch it: axe-core's verdict, a stand-in for the
// page's visibility (Playwright's focus emulation keeps every page it drives visible; a really
// hidden page: support/browsers.ts `launchTabbedChromium`) that also records the system
// notifications the page shows, and a hold on the page's frames (a slow device).
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'
import type axe from 'axe-core'

const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')

/** axe-core's violations on the page (all its default rules), one readable line each. */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE_SOURCE })
  return page.evaluate(async () => {
    const results = await (window as unknown as { axe: typeof axe }).axe.run(document)
    return results.violations.map(
      (violation) =>
        `${violation.id} (${violation.impact ?? '?'}): ` +
        violation.nodes.map((node) => `${JSON.stringify(node.target)} ${node.failureSummary ?? ''}`).join(' | '),
    )
  })
}

/**
 * An init script (`context.addInitScript`): `document.visibilityState`/`hidden` report what the
 * test sets with `setHidden`, which fires the `visibilitychange` the browser would; each
 * `new Notification(...)` is recorded, then the real constructor runs.
 */
export const PAGE_STATE_SCRIPT = `(() => {
  let hidden = false
  Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get () { return hidden ? 'hidden' : 'visible' } })
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get () { return hidden } })
  window.__setHidden = value => { hidden = value; document.dispatchEvent(new Event('visibilitychange')) }
  const shown = window.__notifications = []
  const Real = window.Notification
  if (Real !== undefined) {
    window.Notification = class extends Real {
      constructor (title, options) { shown.push({ title, body: (options && options.body) || '' }); super(title, options) }
    }
  }
})()`

interface PageState {
  __setHidden(hidden: boolean): void
  __notifications: Array<{ title: string; body: string }>
}

/** Makes a page with PAGE_STATE_SCRIPT hidden or visible, as switching tabs would. */
export const setHidden = (page: Page, hidden: boolean): Promise<void> =>
  page.evaluate((value) => {
    ;(window as unknown as PageState).__setHidden(value)
  }, hidden)

/** The notifications a page with PAGE_STATE_SCRIPT showed, oldest first. */
export const notifications = (page: Page): Promise<Array<{ title: string; body: string }>> =>
  page.evaluate(() => (window as unknown as PageState).__notifications)

/** What `holdFrames` leaves on the page's window: its release, for a test that must act in the same task. */
export interface HeldFrames {
  __releaseFrames(): void
}

/**
 * A device too slow to have drawn its next frame yet: the page's animation frames and timers
 * (a timer stands in for a frame that never comes) wait until `releaseFrames`, then run in the
 * order asked. Input still reaches the page meanwhile, as it does between two slow frames.
 */
export const holdFrames = (page: Page): Promise<void> =>
  page.evaluate(() => {
    const own = {
      requestAnimationFrame: window.requestAnimationFrame,
      cancelAnimationFrame: window.cancelAnimationFrame,
      setTimeout: window.setTimeout,
      clearTimeout: window.clearTimeout,
    }
    const held = new Map<number, () => void>()
    // Far above the browser's own ids, so a cancel finds which of the two it is for.
    let next = 1e9
    const hold = (run: () => void): number => {
      held.set(next, run)
      return next++
    }
    window.requestAnimationFrame = (callback) => hold(() => callback(performance.now()))
    window.setTimeout = ((handler: TimerHandler, _delay?: number, ...args: unknown[]) =>
      hold(() => {
        if (typeof handler === 'function') handler(...args)
      })) as typeof window.setTimeout
    window.cancelAnimationFrame = (id) => {
      if (!held.delete(id)) own.cancelAnimationFrame.call(window, id)
    }
    window.clearTimeout = ((id?: number) => {
      if (id === undefined || !held.delete(id)) own.clearTimeout.call(window, id)
    }) as typeof window.clearTimeout
    ;(window as unknown as HeldFrames).__releaseFrames = () => {
      window.requestAnimationFrame = own.requestAnimationFrame
      window.setTimeout = own.setTimeout
      // What runs now may cancel what is still held: the cancels know the held ids until the end.
      for (const [id, run] of [...held]) if (held.delete(id)) run()
      window.cancelAnimationFrame = own.cancelAnimationFrame
      window.clearTimeout = own.clearTimeout
    }
  })

/** Lets the frames and timers held by `holdFrames` run, in the order they were asked for. */
export const releaseFrames = (page: Page): Promise<void> =>
  page.evaluate(() => {
    ;(window as unknown as HeldFrames).__releaseFrames()
  })
