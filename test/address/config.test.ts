import { describe, expect, it } from 'vitest'
import { resolveIceServers, resolveSignalingUrl } from '../../src/address/config.js'

const page = (search = '', hostname = 'chat.example.org', protocol = 'http:') => ({ protocol, hostname, search, hash: '' })

describe('resolveSignalingUrl', () => {
  it('defaults to port 4444 on the page host', () => {
    expect(resolveSignalingUrl(page())).toBe('ws://chat.example.org:4444')
    expect(resolveSignalingUrl(page('', 'chat.example.org', 'https:'))).toBe('wss://chat.example.org:4444')
  })
  it('prefers the build-time URL over the default', () => {
    expect(resolveSignalingUrl(page(), 'wss://sig.example.org')).toBe('wss://sig.example.org')
  })
  it('lets ?signaling= override everything', () => {
    expect(resolveSignalingUrl(page('?signaling=ws://127.0.0.1:9000'), 'wss://sig.example.org')).toBe('ws://127.0.0.1:9000')
  })
  it('ignores a query value that is not a WebSocket URL', () => {
    expect(resolveSignalingUrl(page('?signaling=javascript:alert(1)'))).toBe('ws://chat.example.org:4444')
  })
})

describe('resolveIceServers', () => {
  it('reads a comma-separated list, and an empty one as none', () => {
    expect(resolveIceServers(page('?ice=stun:a:3478,turn:b'))).toEqual([{ urls: 'stun:a:3478' }, { urls: 'turn:b' }])
    expect(resolveIceServers(page('?ice='))).toEqual([])
  })
  it('reads the build-time JSON, dropping malformed entries', () => {
    expect(resolveIceServers(page(), '[{"urls":"stun:x"},{"nope":1}]')).toEqual([{ urls: 'stun:x' }])
    expect(resolveIceServers(page(), 'not json')).toBeUndefined()
  })
  it('keeps the library defaults when nothing is set', () => {
    expect(resolveIceServers(page())).toBeUndefined()
  })
})
