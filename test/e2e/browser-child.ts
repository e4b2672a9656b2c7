// A process that launches a browser the way tests do (support/browsers.ts) and tells its parent
// the browser's process group, for a test that then kills this process. Run with
// `node --import tsx`; BROWSER picks the browser and its state (`BrowserInChild`).
import { launchKillableChromium, launchTabbedChromium } from '../support/browsers.js'
import { exitWithParent } from '../support/ipc-child.js'

/**
 * A tabbed Chromium with its frames running or paused (its GPU process stopped: a browser asked to
 * quit waits for it), or a killable one frozen whole (SIGSTOP: it cannot even notice its pipe close).
 */
export type BrowserInChild = 'tabbed' | 'tabbed, frames paused' | 'killable, frozen'

exitWithParent()
const kind = process.env.BROWSER as BrowserInChild
if (kind === 'killable, frozen') {
  const killable = await launchKillableChromium()
  await killable.browser.newPage()
  killable.freeze()
  process.send?.({ processGroup: killable.processGroup })
} else {
  const tabs = await launchTabbedChromium()
  await tabs.context.newPage()
  if (kind === 'tabbed, frames paused') tabs.pauseFrames()
  process.send?.({ processGroup: tabs.processGroup })
}
