import * as Y from 'yjs'
for (const n of [1000, 10_000, 100_000]) {
  const doc = new Y.Doc()
  const arr = doc.getArray('messages')
  for (let i = 0; i < n; i += 1000) doc.transact(() => { for (let j = 0; j < 1000; j++) arr.push([{ id: `m${i + j}`, text: 'x'.repeat(120), authorId: 'a'.repeat(20), sentAt: Date.now() }]) })
  const u = Y.encodeStateAsUpdate(doc)
  let t = performance.now(); const meta = Y.parseUpdateMeta(u); const tm = performance.now() - t
  t = performance.now(); const d2 = new Y.Doc(); Y.applyUpdate(d2, u); const ta = performance.now() - t
  console.log(n, u.byteLength, 'meta ms', tm.toFixed(1), 'apply ms', ta.toFixed(1), [...meta.to.values()][0])
}
