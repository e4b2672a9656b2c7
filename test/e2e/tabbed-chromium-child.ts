// A process that launches a tabbed Chromium (support/browsers.ts) and tells its parent the
// browser's process group, for a test that then kills this process. Run with `node --import tsx`.
import { launchTabbedChromium } from '../support/browsers.js'
import { exitWithParent } from '../support/ipc-child.js'

exitWithParent()
const tabs = await launchTabbedChromium()
await tabs.context.newPage()
// Frames paused is the harder case: the GPU process is stopped, and a browser asked to quit waits for it.
if (process.env.PAUSE_FRAMES === '1') tabs.pauseFrames()
process.send?.({ processGroup: tabs.processGroup })
