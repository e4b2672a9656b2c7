// How many presence signature checks each link may make this peer start: a token bucket per link,
// so that a peer sending states of made-up tabs costs a bounded number of Ed25519 verifications.
//
// A peer guard lets a link deliver 20 awareness updates a second (60 in a burst), with any number
// of entries each, and every signed state of a tab this peer has not checked yet is held and
// checked (held-states.ts). Unbounded, one peer made others verify thousands of states a second,
// hold them, and redraw the members list once per verdict. Honest links stay far below this: a
// joiner gets its neighbour's whole awareness in one update (a tab or two per member, so 50–100
// states in a 50-person room), and later only changes, a few a second across a busy room, relays
// included; a renewal of a state checked already costs nothing. No I/O: the caller passes the time.
import { perSecond, TokenBucket } from '../tasks/index.js'

/** Signature checks one link may make this peer start in a burst: a large room's whole awareness, twice over. */
export const PRESENCE_CHECK_BURST = 256
/** Signature checks one link may make this peer start per second, sustained. */
export const PRESENCE_CHECKS_PER_SECOND = 32

/** One bucket of checks per link (the object that stands for it, see held-states.ts ScreenedLink). */
export class PresenceCheckBudget {
  readonly #links = new WeakMap<object, TokenBucket>()

  /** Spends one check of `link`'s budget at `now` (ms); false, spending nothing, when none is left. */
  take(link: object, now: number): boolean {
    let bucket = this.#links.get(link)
    if (bucket === undefined) {
      bucket = new TokenBucket(perSecond(PRESENCE_CHECK_BURST, PRESENCE_CHECKS_PER_SECOND), now)
      this.#links.set(link, bucket)
    }
    return bucket.take(1, now)
  }
}
