// The check of y-webrtc's private members: it passes against the installed y-webrtc, and names
// each listed member that goes missing or changes kind on a real provider, room and link.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as yWebrtc from 'y-webrtc'
import { WebrtcConn } from 'y-webrtc'
import { startSignalingServer, type SignalingServer } from '../../signaling/index.js'
import {
  Y_WEBRTC_INTERNALS,
  Y_WEBRTC_VERSION,
  checkYWebrtcInternals,
  type InternalOwner,
  type YWebrtcExports,
} from '../../src/transport/y-webrtc-internals.js'
import { openLocalProvider, type LocalPeer } from '../support/node-peer.js'

let server: SignalingServer
let peer: LocalPeer
/** A copy of y-webrtc's exports the tests may change. */
const exports: Record<string, unknown> = { ...yWebrtc }

beforeAll(async () => {
  server = await startSignalingServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' })
  peer = openLocalProvider('y-webrtc-internals', server.url)
  const room = await peer.room
  // A link of the room, as y-webrtc makes one for an announced peer (this one never answers).
  room.webrtcConns.set('absent-peer', new WebrtcConn(peer.provider.signalingConns[0], true, 'absent-peer', room))
}, 20_000)

afterAll(async () => {
  peer.close()
  await server.close()
})

/** The live objects that hold the members of one owner kind. */
function holders(owner: InternalOwner): object[] {
  const room = peer.provider.room
  if (room === null) throw new Error('the room is not open')
  const link = room.webrtcConns.get('absent-peer')
  if (link === undefined) throw new Error('the link is gone')
  const byOwner: Record<InternalOwner, object[]> = {
    'y-webrtc': [exports],
    provider: [peer.provider],
    signalingConn: peer.provider.signalingConns,
    room: [room],
    link: [link],
    'link.peer': [link.peer],
  }
  return byOwner[owner]
}

/** Where `member` is defined for `holder`: on it and on its prototype chain (getters, methods), nearest first. */
function definers(holder: object, member: string): object[] {
  const found: object[] = []
  for (let at: object | null = holder; at !== null; at = Object.getPrototypeOf(at)) {
    if (Object.hasOwn(at, member)) found.push(at)
  }
  if (found.length === 0) throw new Error(`${member} is not defined`)
  return found
}

/** Runs `change` on the member's definitions, then `check`, and puts the definitions back. */
function withChanged(holder: object, member: string, change: (definers: object[]) => void, check: () => void): void {
  const originals = definers(holder, member).map((at) => [at, Object.getOwnPropertyDescriptor(at, member) as PropertyDescriptor] as const)
  try {
    change(originals.map(([at]) => at))
    check()
  } finally {
    for (const [at, original] of originals) Object.defineProperty(at, member, original)
  }
}

/** Removes the member wherever it is defined. */
const remove =
  (member: string) =>
  (all: object[]): void => {
    for (const at of all) Reflect.deleteProperty(at, member)
  }

/** Gives the member a value of a kind none of the list expects, where it is found first. */
const retype =
  (member: string) =>
  ([nearest]: object[]): void => {
    Object.defineProperty(nearest, member, { value: Symbol('another kind'), configurable: true, writable: true })
  }

const check = (): void => checkYWebrtcInternals(peer.provider, exports as YWebrtcExports)

describe('checkYWebrtcInternals', () => {
  it('passes against the installed y-webrtc, with a room and a link', () => {
    expect(peer.provider.signalingConns.length).toBe(1)
    expect(() => check()).not.toThrow()
    expect(() => checkYWebrtcInternals(peer.provider)).not.toThrow()
  })

  it('lists the version that is installed and pinned', () => {
    const installed = JSON.parse(readFileSync('node_modules/y-webrtc/package.json', 'utf8')) as { version: string }
    const pinned = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> }
    expect(installed.version).toBe(Y_WEBRTC_VERSION)
    expect(pinned.dependencies['y-webrtc']).toBe(Y_WEBRTC_VERSION)
  })

  it.each(Y_WEBRTC_INTERNALS.map((internal) => [`${internal.owner}.${internal.member}`, internal] as const))(
    'names %s when it is missing or of another kind',
    (name, { owner, member }) => {
      for (const holder of holders(owner)) {
        withChanged(holder, member, remove(member), () => expect(check).toThrow(`y-webrtc changed: ${name} is missing`))
        withChanged(holder, member, retype(member), () => expect(check).toThrow(`y-webrtc changed: ${name} is a symbol`))
      }
      expect(check).not.toThrow()
    },
  )

  it('says what was expected and which version the list was written for', () => {
    withChanged(peer.provider.room as object, '_docUpdateHandler', remove('_docUpdateHandler'), () =>
      expect(check).toThrow(
        `y-webrtc changed: room._docUpdateHandler is missing (expected a function); Parley's adaptations rely on it. ` +
          `They were written for y-webrtc ${Y_WEBRTC_VERSION}`,
      ),
    )
  })
})
