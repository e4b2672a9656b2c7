import { describe, expect, it } from 'vitest'
import { MAX_CONNS_LIMIT, readMaxConns, resolveIceServers, resolveMaxConns, resolveSignalingUrl } from '../../src/address/config.js'

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

describe('resolveMaxConns', () => {
  it('reads ?max-conns= as a whole number of links', () => {
    expect(resolveMaxConns(page('?max-conns=3'))).toBe(3)
    expect(resolveMaxConns(page(`?max-conns=${MAX_CONNS_LIMIT}`))).toBe(MAX_CONNS_LIMIT)
  })
  it("leaves y-webrtc's default without it, or with anything but plain digits from 1 to the limit", () => {
    for (const search of [
      '',
      '?max-conns=',
      '?max-conns=0',
      '?max-conns=-2',
      '?max-conns=2.5',
      '?max-conns=1e1',
      '?max-conns= 3',
      '?max-conns=0x4',
      `?max-conns=${MAX_CONNS_LIMIT + 1}`,
      '?max-conns=99999999',
    ])
      expect(resolveMaxConns(page(search)), search).toBeUndefined()
  })
})

describe('readMaxConns', () => {
  it("takes an attribute's number when it is a whole number from 1 to the limit", () => {
    expect(readMaxConns(4)).toBe(4)
    for (const value of [0, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_CONNS_LIMIT + 1, undefined, null, '4x', true])
      expect(readMaxConns(value), String(value)).toBeUndefined()
  })
})
