// What end-to-end tests put into a page to watch it: axe-core's verdict, and a stand-in for
// the page's visibility (headless Chromium keeps every page visible) that also records the
// system notifications the page shows.
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
