// Server frames built once for every receiver: header layout at each length boundary, checked
// against ws's own receiver, the parser every stock client in Node uses.

import { describe, expect, it } from 'vitest'
import * as ws from 'ws'
import { textFrame } from '../../signaling/wire-frame.js'

// ws exports its Receiver at run time; @types/ws does not declare it.
interface FrameReceiver {
  on(event: 'message', listener: (data: Buffer) => void): void
  write(chunk: Buffer): void
}
const { Receiver } = ws as unknown as { Receiver: new (options: { isServer: boolean }) => FrameReceiver }

/** What ws's client-side receiver makes of `bytes`: the text messages it emits. */
function receivedBy(bytes: Buffer): string[] {
  const messages: string[] = []
  const receiver = new Receiver({ isServer: false })
  receiver.on('message', (data: Buffer) => messages.push(data.toString()))
  receiver.write(bytes)
  return messages
}

describe('textFrame', () => {
  it.each([0, 1, 125, 126, 65_535, 65_536, 70_000])('frames %i bytes of text so ws reads them back', (length) => {
    const text = 'é'.repeat(Math.floor(length / 2)) + 'x'.repeat(length % 2)
    const frame = textFrame(text)
    const headerLength = length <= 125 ? 2 : length <= 65_535 ? 4 : 10
    expect(frame.length).toBe(headerLength + Buffer.byteLength(text))
    expect(frame[0]).toBe(0x81) // FIN, text
    expect((frame[1] ?? 0) & 0x80).toBe(0) // servers never mask
    expect(receivedBy(frame)).toEqual([text])
  })

  it('can be written back to back: two frames in one buffer are two messages', () => {
    expect(receivedBy(Buffer.concat([textFrame('a'), textFrame('{"b":1}')]))).toEqual(['a', '{"b":1}'])
  })
})
