// The site's page as it loads: every request it makes is answered (no favicon 404 in the
// console), on a plain static server as any host would serve it.
import { describe, expect, it } from 'vitest'
import { roomUrl, uniqueRoom, useChatStack, withStepTimeouts } from './harness.js'

const stack = useChatStack(1)

describe('loading the site', () => {
  it('asks for nothing the site lacks: no failed request, no "Failed to load resource" in the console', async () => {
    const failed: string[] = []
    const consoleErrors: string[] = []
    const context = withStepTimeouts(await stack.browsers[0].newContext())
    context.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`)
    })
    context.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text())
    })
    const page = await context.newPage()
    await page.goto(roomUrl(stack.site.url, stack.signaling.url, uniqueRoom('load')))
    await page.getByRole('textbox', { name: 'Your name' }).waitFor()
    // The browser's icon request, if it made one, is answered by the time the network is quiet.
    await page.waitForLoadState('networkidle')
    expect(failed).toEqual([])
    expect(consoleErrors.filter((text) => text.startsWith('Failed to load resource'))).toEqual([])
    // The icon the page names is inline: the browser asks the server for none.
    expect(await page.locator('link[rel="icon"]').count()).toBe(1)
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toMatch(/^data:image\/svg\+xml,/)
    await context.close()
  }, 60_000)
})
