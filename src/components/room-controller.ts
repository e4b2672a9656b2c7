// Connects a Lit element to a room: opens it while the element is connected, re-renders
// the host on every change, and closes it on disconnect. Components reach rooms only here.
import type { ReactiveController, ReactiveControllerHost } from 'lit'
import { acquireRoom, type RoomLease } from '../room/room-registry.js'
import type { Author, Room, RoomOptions } from '../room/room.js'
import type { MessageRecord } from '../room/schema.js'

/** Keeps a host element in step with one room. */
export class RoomController implements ReactiveController {
  /** The room's valid messages, in converged order. */
  messages: readonly MessageRecord[] = []
  #host: ReactiveControllerHost
  #lease: RoomLease | null = null
  #stopListening: (() => void) | null = null
  #options: RoomOptions | null = null

  constructor (host: ReactiveControllerHost) {
    this.#host = host
    host.addController(this)
  }

  /** The open room, if any. */
  get room (): Room | null {
    return this.#lease?.room ?? null
  }

  /** Switches to a room (or to none with null); a no-op when nothing changed. */
  setRoom (options: RoomOptions | null): void {
    if (sameRoom(options, this.#options)) return
    this.#close()
    this.#options = options
    this.#open()
  }

  /** Sends a message as `author`. */
  send (author: Author, text: string): void {
    this.room?.send(author, text)
  }

  hostConnected (): void {
    this.#open()
  }

  hostDisconnected (): void {
    this.#close()
  }

  #open (): void {
    if (this.#options === null || this.#lease !== null) return
    this.#lease = acquireRoom(this.#options)
    this.messages = this.#lease.room.messages
    this.#stopListening = this.#lease.room.onMessages((_change, messages) => {
      this.messages = messages
      this.#host.requestUpdate()
    })
    this.#host.requestUpdate()
  }

  #close (): void {
    this.#stopListening?.()
    this.#stopListening = null
    this.#lease?.release()
    this.#lease = null
    this.messages = []
  }
}

function sameRoom (a: RoomOptions | null, b: RoomOptions | null): boolean {
  if (a === null || b === null) return a === b
  return a.name === b.name &&
    a.signalingUrls.join(' ') === b.signalingUrls.join(' ') &&
    JSON.stringify(a.iceServers) === JSON.stringify(b.iceServers)
}
