// Unit tests of what `npm start` prints and which Host names its dev server answers to.
// The network interfaces are fixtures: nothing here looks at or connects to the real network.
import type { NetworkInterfaceInfo } from 'node:os'
import { describe, expect, it } from 'vitest'
import { allowedHosts, exposesBeyondLocalhost, lanAddresses, siteHosts, siteLink } from '../../scripts/dev-hosts.js'

function info(address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo {
  const common = { address, netmask: '', mac: '00:00:00:00:00:00', internal, cidr: null }
  return family === 'IPv4' ? { ...common, family } : { ...common, family, scopeid: 0 }
}

const INTERFACES = {
  lo: [info('127.0.0.1', 'IPv4', true), info('::1', 'IPv6', true)],
  eth0: [info('192.168.1.20', 'IPv4'), info('fd00::20', 'IPv6'), info('fe80::1', 'IPv6')],
  wlan0: [info('10.0.0.7', 'IPv4')],
}

describe('site links', () => {
  it('prints localhost only while the servers stay on this machine', () => {
    for (const host of [undefined, '', 'localhost', '127.0.0.1', '::1']) {
      expect(exposesBeyondLocalhost(host)).toBe(false)
      expect(siteHosts(host, INTERFACES)).toEqual(['localhost'])
    }
  })

  it('adds the LAN addresses for a wildcard HOST: IPv4 for 0.0.0.0, global IPv6 too for ::', () => {
    expect(lanAddresses('0.0.0.0', INTERFACES)).toEqual(['192.168.1.20', '10.0.0.7'])
    expect(siteHosts('0.0.0.0', INTERFACES)).toEqual(['localhost', '192.168.1.20', '10.0.0.7'])
    expect(siteHosts('::', INTERFACES)).toEqual(['localhost', '192.168.1.20', 'fd00::20', '10.0.0.7'])
  })

  it('prints HOST itself when it names one address or name', () => {
    expect(siteHosts('192.168.1.20', INTERFACES)).toEqual(['192.168.1.20'])
    expect(siteHosts('chat.lan', INTERFACES)).toEqual(['chat.lan'])
  })

  it('names the signaling server only off its default port, on the host of the link', () => {
    expect(siteLink('192.168.1.20', 5173, 4444, 'lobby')).toBe('http://192.168.1.20:5173/#lobby')
    expect(siteLink('192.168.1.20', 5173, 4555, 'lobby')).toBe('http://192.168.1.20:5173/?signaling=ws://192.168.1.20:4555#lobby')
    expect(siteLink('fd00::20', 5173, 4555, 'lobby')).toBe('http://[fd00::20]:5173/?signaling=ws://[fd00::20]:4555#lobby')
  })
})

describe('allowed hosts', () => {
  it('adds nothing while the dev server listens on loopback only', () => {
    expect(allowedHosts(undefined, 'box')).toEqual([])
    expect(allowedHosts('localhost', 'box', 'chat.example')).toEqual([])
  })

  it("allows the machine's own names, HOST when it is a name, and ALLOWED_HOSTS", () => {
    expect(allowedHosts('0.0.0.0', 'Box.corp.example')).toEqual(['box.corp.example', 'box', 'box.local'])
    expect(allowedHosts('192.168.1.20', 'box')).toEqual(['box', 'box.local'])
    expect(allowedHosts('::', 'box')).toEqual(['box', 'box.local'])
    expect(allowedHosts('chat.lan', 'box', ' chat.example, .corp ,')).toEqual(['box', 'box.local', 'chat.lan', 'chat.example', '.corp'])
  })
})
