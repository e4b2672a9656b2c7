// The child process behind node-peer.ts: one y-webrtc peer (stock, or Parley's transport) in a
// realm of its own, driven over IPC. Run with `node --import tsx`; not a test file.
import * as Y from 'yjs'
import { Room as WebrtcRoom, WebrtcProvider } from 'y-webrtc'
import { Awareness, applyAwarenessUpdate } from 'y-protocols/awareness'
import { openTransport, type RtcImplementation } from '../../src/transport/index.js'
import { LIVENESS_CHANNEL_LABEL } from '../../src/transport/liveness-protocol.js'
import { DeferredUpdates } from '../../src/history/index.js'
import { type TapOptions, tappedWebSocket } from './signaling-tap.js'
import { joinTraceOn, traceLine } from './join-trace.js'
import { countingRtc, type CountingRtc, type RtcWithChannel } from './counting-rtc.js'
import { nodeRtc } from './node-rtc.js'
import { awarenessMessage, junkAwarenessUpdate } from './signed-awareness.js'
import { exitWithParent } from './ipc-child.js'
import type { NodePeerCommand, NodePeerOptions, NodePeerReply, NodePeerState, SentCounts } from './node-peer.js'

/** The shared array the peers' texts are written to. */
const TEXTS = 'texts'

const options = JSON.parse(process.env.NODE_PEER_OPTIONS ?? '{}') as NodePeerOptions
/** What the tap does; `delaySignals` changes it while the peer runs. */
const tapOptions: TapOptions = options.tap ?? {}
const tap = tappedWebSocket(tapOptions)
// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks; this one is tapped.
globalThis.WebSocket = tap.WebSocket

/** This machine's clock in ms since the epoch, sub-ms (comparable between processes). */
const now = (): number => performance.timeOrigin + performance.now()

const baseRtc = failingLinks(
  refusingOffers(
    slowGetStats(slowOffers(nodeRtc(options.rtc ?? 'node-datachannel'), options.offerDelayMs), options.getStatsDelayMs),
    options.refuseOffersWhileOffering,
  ),
  options.failAnswers,
  options.failOffers,
)
const counting: CountingRtc | null = options.countSends === true ? countingRtc(baseRtc) : null
/** Liveness side channels Parley's transport opened (negotiated, so made by createDataChannel), for `sendLiveness`. */
const livenessChannels = new Set<RTCDataChannel>()
const rtc: RtcImplementation = keepingLivenessChannels(counting?.rtc ?? baseRtc)
// The y-webrtc room this peer opens (Parley's transport keeps its own to itself): noted as it
// connects, for the peers it has links with. Test instrumentation only.
let openedRoom: WebrtcRoom | null = null
const connectRoom = WebrtcRoom.prototype.connect
WebrtcRoom.prototype.connect = function (this: WebrtcRoom) {
  openedRoom = this
  connectRoom.call(this)
}

/** One membership of a room: a document and awareness of its own, joined once. */
class Session {
  readonly doc = new Y.Doc()
  readonly awareness = new Awareness(this.doc)
  /** When each text from another peer was applied here, and when each own text was pushed. */
  readonly applied: Record<string, number> = {}
  readonly pushed: Record<string, number> = {}
  /** What this session's links sent on y-webrtc's data channels, by message kind. */
  readonly sent: SentCounts = { syncStep1: 0, syncStep2: 0, update: 0, awareness: 0, other: 0 }
  /** What arrived on this session's links' y-webrtc channels, by message kind. */
  readonly received: SentCounts = { syncStep1: 0, syncStep2: 0, update: 0, awareness: 0, other: 0 }
  /** Whether a document change happened since the last batch the transport got (Parley only). */
  unsentChanges = false
  stockProvider: WebrtcProvider | null = null
  #close: (() => void) | null = null
  #links: () => string[] = () => []
  #relay: () => NodePeerState['relay'] = () => null
  #transportSent: () => NodePeerState['transportSent'] = () => null
  #liveLinks = (): number => 0
  #join: () => NodePeerState['join'] = () => null
  #bannedPeers: () => number | null = () => null
  readonly #options: NodePeerOptions

  constructor(sessionOptions: NodePeerOptions) {
    this.#options = sessionOptions
    // Set, not left as the initial state: that one has clock 0, which other peers never apply.
    this.awareness.setLocalState(sessionOptions.awareness ?? { kind: sessionOptions.kind })
    // y-protocols renews the local state (and times out others') on this interval.
    if (sessionOptions.renewAwareness === false)
      clearInterval((this.awareness as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval)
    this.doc.getArray<string>(TEXTS).observe((event) => {
      if (event.transaction.local) return
      const at = now()
      for (const item of event.changes.added) for (const text of item.content.getContent() as string[]) this.applied[text] ??= at
    })
  }

  join(): void {
    if (this.#close !== null) return
    const { doc, awareness } = this
    const room = this.#options
    const countedRtc = countingSends(rtc, this.sent, this.received)
    const peerOpts = { wrtc: countedRtc, config: { iceServers: [] } }
    const maxConns = room.maxConns === undefined ? {} : { maxConns: room.maxConns }
    if (room.kind === 'stock') {
      const provider = new WebrtcProvider(room.topic, doc, {
        signaling: [room.signalingUrl],
        password: room.secret ?? undefined,
        awareness,
        peerOpts,
        ...maxConns,
      })
      this.stockProvider = provider
      this.#links = () => [...(provider.room?.webrtcConns ?? [])].filter(([, conn]) => conn.connected).map(([peerId]) => peerId)
      this.#close = () => {
        provider.disconnect()
        provider.destroy()
      }
    } else {
      const changes = new DeferredUpdates(doc)
      // Where the deferred source gathers a change made here (and passes it on, after this listener).
      doc.on('beforeObserverCalls', (transaction: Y.Transaction) => {
        if ([...transaction.afterState].some(([client, clock]) => transaction.beforeState.get(client) !== clock)) this.unsentChanges = true
      })
      changes.on(() => {
        this.unsentChanges = false
      })
      const transport = openTransport({
        topic: room.topic,
        secret: room.secret ?? null,
        doc,
        awareness,
        changes,
        signalingUrls: [room.signalingUrl],
        iceServers: [],
        wrtc: countedRtc,
        ...maxConns,
      })
      this.#links = () => transport.links()
      this.#relay = () => {
        const { relayed, pruned, repairRequests } = transport.stats().relay
        return { relayed, pruned, repairRequests }
      }
      this.#transportSent = () => transport.stats().sent
      this.#liveLinks = () => transport.stats().liveLinks
      this.#join = () => transport.stats().join
      this.#bannedPeers = () => transport.stats().bannedPeers
      this.#close = () => {
        changes.flush()
        transport.close()
        changes.destroy()
      }
    }
  }

  /** The y-webrtc peer ids of the links that are connected now. */
  links(): string[] {
    return this.#links()
  }

  /** A Parley session's relay counters (null for stock). */
  relay(): NodePeerState['relay'] {
    return this.#relay()
  }

  /** What a Parley session's transport counted as sent (null for stock). */
  transportSent(): NodePeerState['transportSent'] {
    return this.#transportSent()
  }

  /** Links to Parley peers whose liveness speaks now (0 for stock). */
  liveLinks(): number {
    return this.#liveLinks()
  }

  /** A Parley session's join counters (null for stock). */
  joinCounts(): NodePeerState['join'] {
    return this.#join()
  }

  /** Peers a Parley session's guards banned (null for stock). */
  bannedPeers(): number | null {
    return this.#bannedPeers()
  }

  close(): void {
    this.#close?.()
    this.awareness.destroy()
    this.doc.destroy()
  }
}

let session = new Session(options)
if (joinTraceOn) traceLinks()
if (options.deferJoin !== true) session.join()

function state(): NodePeerState {
  return {
    peerId: session.stockProvider?.room?.peerId ?? tap.counts.peerId,
    clientId: session.doc.clientID,
    awareness: [...session.awareness.getStates()].map(([client, value]) => ({ client, state: value })),
    texts: session.doc.getArray<string>(TEXTS).toArray(),
    tap: { ...tap.counts },
    links: session.links(),
    sent: { ...session.sent },
    received: { ...session.received },
    unsentChanges: session.unsentChanges,
    relay: session.relay(),
    transportSent: session.transportSent(),
    liveLinks: session.liveLinks(),
    join: session.joinCounts(),
    bannedPeers: session.bannedPeers(),
  }
}

/** The WebRTC classes with each `createOffer` started `delayMs` later (unchanged without a delay). */
function slowOffers(rtc: RtcWithChannel, delayMs: number | undefined): RtcWithChannel {
  if (delayMs === undefined) return rtc
  class SlowOfferPeerConnection extends rtc.RTCPeerConnection {
    constructor(config?: RTCConfiguration) {
      super(config)
      const createOffer = this.createOffer.bind(this) as (options?: RTCOfferOptions) => Promise<RTCSessionDescriptionInit>
      this.createOffer = ((options?: RTCOfferOptions) =>
        new Promise((resolve) => setTimeout(resolve, delayMs)).then(() => {
          // A browser rejects an offer of a closed connection; wrtc's native side may be gone by then.
          if (this.signalingState === 'closed') throw new Error('the connection closed while its offer waited')
          return createOffer(options)
        })) as RTCPeerConnection['createOffer']
    }
  }
  return { ...rtc, RTCPeerConnection: SlowOfferPeerConnection }
}

/** The WebRTC classes with each `getStats` answered `delayMs` later (unchanged without a delay). */
function slowGetStats(rtc: RtcWithChannel, delayMs: number | undefined): RtcWithChannel {
  if (delayMs === undefined) return rtc
  class SlowStatsPeerConnection extends rtc.RTCPeerConnection {
    constructor(config?: RTCConfiguration) {
      super(config)
      const getStats = this.getStats.bind(this) as () => Promise<RTCStatsReport>
      // No declared parameters: simple-peer calls a getStats of length 0 the promise way.
      this.getStats = (() => new Promise((resolve) => setTimeout(resolve, delayMs)).then(() => getStats())) as RTCPeerConnection['getStats']
    }
  }
  return { ...rtc, RTCPeerConnection: SlowStatsPeerConnection }
}

/** The WebRTC classes with each liveness side channel noted in `livenessChannels`. */
function keepingLivenessChannels(rtc: RtcImplementation): RtcImplementation {
  class KeepingPeerConnection extends rtc.RTCPeerConnection {
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init)
      if (label === LIVENESS_CHANNEL_LABEL) livenessChannels.add(channel)
      return channel
    }
  }
  return { ...rtc, RTCPeerConnection: KeepingPeerConnection }
}

/** The WebRTC classes with offers refused by connections that opened a data channel themselves (unchanged unless `refuse`). */
function refusingOffers(rtc: RtcWithChannel, refuse: boolean | undefined): RtcWithChannel {
  if (refuse !== true) return rtc
  class RefusingPeerConnection extends rtc.RTCPeerConnection {
    #offering = false

    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      if (init?.negotiated !== true) this.#offering = true
      return super.createDataChannel(label, init)
    }

    override setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
      if (this.#offering && description.type === 'offer') return Promise.reject(new Error('an offer to an offering connection'))
      return super.setRemoteDescription(description)
    }
  }
  return { ...rtc, RTCPeerConnection: RefusingPeerConnection }
}

/**
 * The WebRTC classes with the first `answers` answering connections failed once their answer is
 * set, and the first `offers` offering connections once the peer's answer is set (unchanged
 * without counts): a task later (simple-peer sends the answer as it is set), the connection
 * reports ICE 'failed', as a browser's does when its DTLS handshake failed; simple-peer then gives
 * the link up. The other end gets no word of it.
 */
function failingLinks(rtc: RtcWithChannel, answers: number | undefined, offers: number | undefined): RtcWithChannel {
  if (answers === undefined && offers === undefined) return rtc
  let answersLeft = answers ?? 0
  let offersLeft = offers ?? 0
  class FailingPeerConnection extends rtc.RTCPeerConnection {
    #failed = false

    override get iceConnectionState(): RTCIceConnectionState {
      return this.#failed ? 'failed' : super.iceConnectionState
    }

    override get connectionState(): RTCPeerConnectionState {
      return this.#failed ? 'failed' : super.connectionState
    }

    override async setLocalDescription(description?: RTCLocalSessionDescriptionInit): Promise<void> {
      await super.setLocalDescription(description)
      if (description?.type !== 'answer' || answersLeft <= 0) return
      answersLeft--
      this.#failSoon('fail-answer')
    }

    override async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
      await super.setRemoteDescription(description)
      if (description.type !== 'answer' || offersLeft <= 0) return
      offersLeft--
      this.#failSoon('fail-offer')
    }

    #failSoon(trace: string): void {
      setTimeout(() => {
        traceLine(trace)
        this.#failed = true
        this.dispatchEvent(new Event('iceconnectionstatechange'))
      }, 0)
    }
  }
  return { ...rtc, RTCPeerConnection: FailingPeerConnection }
}

/**
 * The WebRTC classes with every send on y-webrtc's own data channel counted by message kind into
 * `sent`, and every message arriving on it into `received`; innermost below Parley's wrappers, so
 * what Parley's framing passes on (small messages: whole) is what is counted.
 */
function countingSends(inner: RtcImplementation, sent: SentCounts, received: SentCounts): RtcImplementation {
  const count = (channel: RTCDataChannel): void => {
    const send = channel.send.bind(channel) as (data: unknown) => void
    Object.defineProperty(channel, 'send', {
      configurable: true,
      value: (data: unknown) => {
        countSent(sent, data)
        send(data)
      },
    })
    channel.addEventListener('message', (event: MessageEvent<unknown>) => countSent(received, event.data))
  }
  class CountingPeerConnection extends inner.RTCPeerConnection {
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init)
      if (init?.negotiated !== true) count(channel)
      return channel
    }
    override dispatchEvent(event: Event): boolean {
      // wrtc hands the answering side its channel through dispatchEvent (framed by then for Parley).
      const channel = (event as { channel?: RTCDataChannel }).channel
      if (event.type === 'datachannel' && channel !== undefined && channel.negotiated !== true) count(channel)
      return super.dispatchEvent(event)
    }
  }
  return { ...inner, RTCPeerConnection: CountingPeerConnection }
}

/** Counts one y-webrtc message into `sent` by its kind. */
function countSent(sent: SentCounts, data: unknown): void {
  const bytes = ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : null
  if (bytes === null || bytes.length < 1) sent.other++
  else if (bytes[0] === 1) sent.awareness++
  else if (bytes[0] !== 0 || bytes.length < 2) sent.other++
  else if (bytes[1] === 0) sent.syncStep1++
  else if (bytes[1] === 1) sent.syncStep2++
  else if (bytes[1] === 2) sent.update++
  else sent.other++
}

/** Sends `messages` in order on every connected link; returns how many sends went out. */
function sendOnLiveLinks(messages: readonly Uint8Array[]): number {
  let live = [...(openedRoom?.webrtcConns.values() ?? [])].filter((conn) => conn.connected)
  let sent = 0
  for (const message of messages) {
    live = live.filter((conn) => {
      try {
        conn.peer.send(message)
        sent++
        return true
      } catch {
        return false // the other side dropped the link meanwhile: nothing more goes on it
      }
    })
  }
  return sent
}

function run(command: NodePeerCommand): unknown {
  switch (command.op) {
    case 'state':
      return state()
    case 'setAwareness':
      session.awareness.setLocalState(command.state)
      return null
    case 'push':
      session.pushed[command.text] = now()
      session.doc.getArray<string>(TEXTS).push([command.text])
      return null
    case 'pushAll':
      session.doc.transact(() => session.doc.getArray<string>(TEXTS).push(command.texts))
      return null
    case 'join':
      if (command.room !== undefined) {
        session.close()
        openedRoom = null
        session = new Session({ ...options, ...command.room })
      }
      session.join()
      return null
    case 'leave':
      session.close()
      openedRoom = null
      session = new Session(options)
      return null
    case 'counts':
      return {
        sends: counting?.counts() ?? {},
        openChannels: counting?.openLinks() ?? 0,
        peerId: openedRoom?.peerId ?? null,
        linkedPeers: session.links(),
      }
    case 'resetCounts':
      counting?.reset()
      return null
    case 'arrivals':
      return { applied: session.applied, pushed: session.pushed }
    case 'sendLiveness': {
      let sent = 0
      for (const channel of livenessChannels) {
        if (channel.readyState !== 'open') continue
        channel.send(command.frame)
        sent++
      }
      return sent
    }
    case 'applyAwareness':
      applyAwarenessUpdate(session.awareness, Buffer.from(command.update, 'base64'), 'test')
      return null
    case 'sendJunkAwareness':
      return sendOnLiveLinks(
        Array.from({ length: command.count }, (_, i) => awarenessMessage(junkAwarenessUpdate(command.bytes, command.client + i))),
      )
    case 'sendRaw':
      return sendOnLiveLinks(command.messages.map((each) => Buffer.from(each, 'base64')))
    case 'delaySignals':
      tapOptions.delaySignalsMs = command.ms
      return null
    case 'hearAnnounces':
      // signaling-tap.ts drops announcements while it has dropped fewer than `dropAnnounces`.
      tapOptions.dropAnnounces = command.on ? tap.counts.droppedAnnounces : Number.MAX_SAFE_INTEGER
      return null
    case 'holdSends':
      holdSends(command.peerId)
      return null
    case 'close':
      session.close()
      // Exits once the reply is out; y-webrtc and wrtc leave handles that would keep it running.
      setTimeout(() => process.exit(0), 100)
      return null
  }
}

/** The link whose sends are held (`holdSends`), and what it was to send meanwhile, in order. */
let held: { peer: { send: (data: unknown) => void }; messages: unknown[] } | null = null

/** Holds y-webrtc's sends on the link to `peerId` (null: sends what was held, and holds nothing). */
function holdSends(peerId: string | null): void {
  if (held !== null) {
    const { peer, messages } = held
    held = null
    // Its own send again (simple-peer's, from its prototype).
    delete (peer as { send?: unknown }).send
    for (const message of messages) peer.send(message)
  }
  if (peerId === null) return
  const conn = openedRoom?.webrtcConns.get(peerId)
  if (conn === undefined) throw new Error(`no link to ${peerId}`)
  const peer = conn.peer as { send: (data: unknown) => void }
  const holding = { peer, messages: [] as unknown[] }
  peer.send = (data: unknown) => {
    holding.messages.push(data)
  }
  held = holding
}

process.on('message', (message: { id: number; command: NodePeerCommand }) => {
  let reply: NodePeerReply
  try {
    reply = { id: message.id, result: run(message.command) }
  } catch (error) {
    reply = { id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }
  }
  process.send?.(reply)
})
exitWithParent()
process.send?.({ id: 0, result: 'started' } satisfies NodePeerReply)

/** Traces (join-trace.ts) each link y-webrtc makes, its failure, and when it opens or is lost, polled every few ms. */
function traceLinks(): void {
  const POLL_MS = 10
  const seen = new WeakSet<object>()
  let open = new Set<string>()
  setInterval(() => {
    const self = tap.counts.peerId
    for (const [remote, conn] of openedRoom?.webrtcConns ?? []) {
      if (seen.has(conn)) continue
      seen.add(conn)
      traceLine(`link-new ${self} ${remote} ${conn.peer.initiator === true ? 'offers' : 'answers'}`)
      conn.peer.on('error', (error: Error) => traceLine(`link-error ${self} ${remote} ${String(error.message).replace(/\s+/g, '_')}`))
    }
    const now = new Set(session.links())
    for (const remote of now) if (!open.has(remote)) traceLine(`link-open ${self} ${remote}`)
    for (const remote of open) if (!now.has(remote)) traceLine(`link-lost ${self} ${remote}`)
    open = now
  }, POLL_MS).unref()
}
