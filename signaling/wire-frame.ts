// Server-to-client WebSocket frames, built once and written to every receiver's socket as is.
//
// A server never masks its frames (RFC 6455 §5.1), so a frame's bytes are the same for every
// receiver. Building header and payload once per publish, instead of letting `ws` frame the
// message again for each receiver, removes the largest per-receiver cost after the write
// itself. The server uses no extensions (no permessage-deflate), so nothing else rewrites
// frames on their way out and `ws` writes its own control frames straight to the socket.

/** The bytes of one complete frame, header included; ready to write to any client socket. */
export type WireFrame = Buffer & { readonly __wireFrame: true }

const FIN_TEXT = 0x81
const LENGTH_16 = 126
const LENGTH_64 = 127
const MAX_LENGTH_7 = 125
const MAX_LENGTH_16 = 0xffff

/** The unmasked, unfragmented text frame that carries `text`. */
export function textFrame(text: string): WireFrame {
  const payloadLength = Buffer.byteLength(text)
  const headerLength = payloadLength <= MAX_LENGTH_7 ? 2 : payloadLength <= MAX_LENGTH_16 ? 4 : 10
  const frame = Buffer.allocUnsafe(headerLength + payloadLength)
  frame[0] = FIN_TEXT
  if (headerLength === 2) frame[1] = payloadLength
  else if (headerLength === 4) {
    frame[1] = LENGTH_16
    frame.writeUInt16BE(payloadLength, 2)
  } else {
    frame[1] = LENGTH_64
    frame.writeBigUInt64BE(BigInt(payloadLength), 2)
  }
  frame.write(text, headerLength, 'utf8')
  return frame as WireFrame
}
