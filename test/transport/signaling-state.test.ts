import { describe, expect, it } from 'vitest'
import { signalingStateOf } from '../../src/transport/signaling-state.js'

describe('signalingStateOf', () => {
  it('is connected when any server is', () => {
    expect(
      signalingStateOf([
        { connected: false, unsuccessfulReconnects: 4 },
        { connected: true, unsuccessfulReconnects: 0 },
      ]),
    ).toBe('connected')
  })

  it('is connecting until an attempt failed, then unreachable', () => {
    expect(signalingStateOf([{ connected: false, unsuccessfulReconnects: 0 }])).toBe('connecting')
    expect(signalingStateOf([{ connected: false, unsuccessfulReconnects: 1 }])).toBe('unreachable')
    expect(signalingStateOf([])).toBe('connecting')
  })
})
