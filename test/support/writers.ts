// Yjs documents of writers with fixed client ids, and a sync that brings each up to all the others.
import * as Y from 'yjs'

/** One document per client id, and `sync()`: each gets what the others hold that it lacks. */
export function writers(clients: readonly number[]): { docs: Y.Doc[]; sync(): void } {
  const docs = clients.map((client) => {
    const doc = new Y.Doc({ gc: true })
    doc.clientID = client
    return doc
  })
  const sync = (): void => {
    for (const from of docs) for (const to of docs) if (from !== to) Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)))
  }
  return { docs, sync }
}
