// The side channels' frame reader: only a bounded text frame holding a JSON object gets through.
import { describe, expect, it } from 'vitest'
import { readJsonFrame } from '../../src/transport/json-frame.js'

describe('readJsonFrame', () => {
  it('reads a JSON object within the bound', () => {
    expect(readJsonFrame('{"t":"beat","in":750}', 64)).toEqual({ t: 'beat', in: 750 })
  })

  it('refuses binary, over-long, non-JSON and non-object frames', () => {
    for (const data of [new Uint8Array([123, 125]), new ArrayBuffer(2), 42, null, undefined, '{"t":', 'beat', '[1,2]', 'null', '7', '"t"'])
      expect(readJsonFrame(data, 64), String(data)).toBeNull()
    expect(readJsonFrame(`{"t":"${'x'.repeat(100)}"}`, 64)).toBeNull()
  })
})
