// The load generator's WebSocket client: just enough of RFC 6455 to publish and to count
// deliveries, at a fraction of the CPU of a general client.
//
// Why not `ws`: the generator shares the machine with the server it measures and receives ten
// frames for every one it sends. `ws` spends several microseconds on each received frame
// (receiver state machine, a Buffer and an event per frame), which made the generator, not the
// server, the ceiling. Here a TCP chunk is scanned in place and a frame costs a header read.
// This client trusts the server it talks to: it is test tooling, not a general client.

import { request } from 'node:http'
import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'

const OPCODE_TEXT = 0x1
const OPCODE_CLOSE = 0x8
const OPCODE_PING = 0x9
const OPCODE_PONG = 0xa
const FIN = 0x80
const MASKED = 0x80
const LENGTH_16 = 126
const LENGTH_64 = 127
const HANDSHAKE_TIMEOUT_MS = 15_000

/**
 * One client-to-server frame. Clients must mask; an all-zero key is a valid key that leaves
 * the payload as it is, so no bytes need rewriting.
 */
export function encodeClientFrame(payload: Buffer, opcode = OPCODE_TEXT): Buffer {
  const length = payload.length
  const lengthBytes = length < LENGTH_16 ? 0 : length <= 0xffff ? 2 : 8
  const header = Buffer.alloc(2 + lengthBytes + 4) // mask key: four zero bytes
  header[0] = FIN | opcode
  if (lengthBytes === 0) header[1] = MASKED | length
  else if (lengthBytes === 2) {
    header[1] = MASKED | LENGTH_16
    header.writeUInt16BE(length, 2)
  } else {
    header[1] = MASKED | LENGTH_64
    header.writeBigUInt64BE(BigInt(length), 2)
  }
  return Buffer.concat([header, payload])
}

/** What a FrameReader reports; `frame` is the chunk itself, the payload is [start, end). */
export interface FrameHandlers {
  text(frame: Buffer, start: number, end: number): void
  ping(payload: Buffer): void
  close(): void
}

/**
 * Splits a server's byte stream into frames. Server frames are never masked; fragmented
 * messages are not expected from the servers measured and are reported frame by frame.
 */
export class FrameReader {
  private pending: Buffer | undefined

  constructor(private readonly handlers: FrameHandlers) {}

  push(chunk: Buffer): void {
    const buffer = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk])
    this.pending = undefined
    let offset = 0
    while (offset + 2 <= buffer.length) {
      const opcode = (buffer[offset] ?? 0) & 0x0f
      const short = (buffer[offset + 1] ?? 0) & 0x7f
      let start = offset + 2
      let length = short
      if (short === LENGTH_16) {
        if (start + 2 > buffer.length) break
        length = buffer.readUInt16BE(start)
        start += 2
      } else if (short === LENGTH_64) {
        if (start + 8 > buffer.length) break
        length = Number(buffer.readBigUInt64BE(start))
        start += 8
      }
      const end = start + length
      if (end > buffer.length) break
      if (opcode === OPCODE_TEXT) this.handlers.text(buffer, start, end)
      else if (opcode === OPCODE_PING) this.handlers.ping(buffer.subarray(start, end))
      else if (opcode === OPCODE_CLOSE) this.handlers.close()
      offset = end
    }
    if (offset < buffer.length) this.pending = buffer.subarray(offset)
  }
}

/** An open connection: send text, and end it. */
export interface LoadClient {
  readonly socket: Socket
  sendText(text: string): void
  /** Ends the TCP connection at once, as `ws.terminate()` does. */
  destroy(): void
}

/**
 * Opens a WebSocket to `url` (ws:// only) and hands its frames to `handlers`; resolves to
 * undefined if the handshake fails or times out. Pings are answered here.
 */
export function openLoadClient(url: string, handlers: Omit<FrameHandlers, 'ping'>): Promise<LoadClient | undefined> {
  const target = new URL(url)
  return new Promise((resolve) => {
    const req = request({
      host: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      agent: false,
      timeout: HANDSHAKE_TIMEOUT_MS,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      },
    })
    req.once('upgrade', (_response, socket: Socket, head: Buffer) => {
      socket.setNoDelay(true)
      let closed = false
      const closeOnce = (): void => {
        if (closed) return
        closed = true
        handlers.close()
      }
      const reader = new FrameReader({
        text: handlers.text,
        close: closeOnce,
        ping: (payload) => socket.write(encodeClientFrame(Buffer.from(payload), OPCODE_PONG)),
      })
      socket.on('data', (chunk: Buffer) => reader.push(chunk))
      socket.on('error', () => undefined) // reported through 'close'
      socket.once('close', closeOnce)
      if (head.length > 0) reader.push(head)
      resolve({
        socket,
        sendText: (text) => socket.write(encodeClientFrame(Buffer.from(text))),
        destroy: () => socket.destroy(),
      })
    })
    req.once('response', () => resolve(undefined)) // answered without upgrading
    req.once('timeout', () => req.destroy())
    req.once('error', () => resolve(undefined))
    req.end()
  })
}
