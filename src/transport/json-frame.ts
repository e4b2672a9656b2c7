// Reading the JSON text frames of Parley's side channels (liveness, relay): whatever a peer
// sends is `unknown` until it is a plain object of bounded size.

/** The object a text frame holds; null for binary, longer than `maxChars`, not JSON, or not an object. */
export function readJsonFrame(data: unknown, maxChars: number): Record<string, unknown> | null {
  if (typeof data !== 'string' || data.length > maxChars) return null
  let value: unknown
  try {
    value = JSON.parse(data)
  } catch {
    return null // not JSON: a hostile or broken peer
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null
}
