import { describe, expect, it } from 'vitest'
import { CONNECTION_NOTES, connectionStatus, membersHeading } from '../../src/components/connection-status.js'

const facts = (
  signaling: 'connected' | 'connecting' | 'unreachable',
  links: number,
  browserOnline = true,
  cannotConnect = false,
  siblingTabs = 0,
) => ({
  connection: { signaling, links, siblingTabs },
  browserOnline,
  cannotConnect,
})

describe('connectionStatus', () => {
  it('is online while a signaling server answers, alone in the room or not', () => {
    expect(connectionStatus(facts('connected', 0))).toBe('online')
    expect(connectionStatus(facts('connected', 3))).toBe('online')
  })

  it('keeps linked peers: without the server it is "linked", never offline or unreachable', () => {
    expect(connectionStatus(facts('unreachable', 1))).toBe('linked')
    expect(connectionStatus(facts('connecting', 2))).toBe('linked')
    expect(connectionStatus(facts('unreachable', 1, false))).toBe('linked')
    expect(membersHeading('linked')).toBe('Online')
  })

  it('says offline only when the browser does and no peer is linked', () => {
    expect(connectionStatus(facts('unreachable', 0, false))).toBe('offline')
    expect(connectionStatus(facts('connected', 0, false))).toBe('offline')
    expect(CONNECTION_NOTES.offline).toMatch(/^You are offline/)
  })

  it('tells a first attempt from failing ones, and claims "Online" for neither', () => {
    expect(connectionStatus(facts('connecting', 0))).toBe('connecting')
    expect(connectionStatus(facts('unreachable', 0))).toBe('unreachable')
    expect(membersHeading('connecting')).toBe('Connecting')
    expect(membersHeading('unreachable')).toBe('Not connected')
  })

  it("counts this browser's other tabs as reaching it, and says nobody else can", () => {
    expect(connectionStatus(facts('unreachable', 0, true, false, 1))).toBe('tabs')
    expect(connectionStatus(facts('unreachable', 0, false, false, 2))).toBe('offline-tabs')
    expect(CONNECTION_NOTES.tabs).toBe(
      "Can't reach the signaling server, retrying. Your other tabs here still get your messages; nobody else can.",
    )
    expect(CONNECTION_NOTES['offline-tabs']).toMatch(/^You are offline\. Your other tabs here still get your messages; nobody else can\.$/)
    expect(membersHeading('tabs')).toBe('This browser')
    expect(membersHeading('offline-tabs')).toBe('This browser')
    // A server that answers, or a linked peer, says more than the tabs do.
    expect(connectionStatus(facts('connected', 0, true, false, 1))).toBe('online')
    expect(connectionStatus(facts('unreachable', 1, true, false, 1))).toBe('linked')
    // A first attempt is still under way: no line says more yet.
    expect(connectionStatus(facts('connecting', 0, true, false, 1))).toBe('connecting')
  })

  it('leaves a failed load to its own line', () => {
    expect(connectionStatus(facts('connecting', 0, true, true))).toBe('cannot-connect')
    expect(CONNECTION_NOTES['cannot-connect']).toBe('')
    expect(membersHeading('cannot-connect')).toBe('Not connected')
  })
})
