// The two places where Parley changes how y-webrtc 10.3 behaves, kept in one module because
// they touch its internals (`provider.room`): review them when upgrading y-webrtc.
import type { WebrtcProvider } from 'y-webrtc'

type AwarenessHandler = (changes: { added: number[], updated: number[], removed: number[] }, origin: unknown) => void

/**
 * Stops y-webrtc from broadcasting awareness changes made with `localOrigin`. A peer that
 * lost its own link to X must not tell the others X left: they may still hear X fine.
 * y-webrtc's `beforeunload` hook is removed too: it also fires when a leave dialog is
 * cancelled, so the room leaves on `pagehide` instead (see Room).
 */
export function adaptProvider (provider: WebrtcProvider, localOrigin: unknown): void {
  void provider.key.then(() => {
    const room = provider.room
    if (room === null) return
    const awareness = room.awareness
    const broadcast: AwarenessHandler = room._awarenessUpdateHandler
    const filtered: AwarenessHandler = (changes, origin) => {
      if (origin !== localOrigin) broadcast(changes, origin)
    }
    awareness.off('update', broadcast)
    room._awarenessUpdateHandler = filtered
    if (provider.connected) awareness.on('update', filtered)
    if (typeof window !== 'undefined') window.removeEventListener('beforeunload', room._beforeUnloadHandler)
  })
}
