// The peer that bench/ice-kill.ts kills: one RTCPeerConnection (Node's wrtc) answering the
// offer it gets over IPC, with one data channel. Run by the bench; not a test.
import wrtc from '@roamhq/wrtc'
import { exitWithParent } from '../test/support/ipc-child.js'

type Signal = { sdp?: RTCSessionDescriptionInit; candidate?: RTCIceCandidateInit }

const pc = new wrtc.RTCPeerConnection({ iceServers: [] }) as RTCPeerConnection
pc.onicecandidate = ({ candidate }) => {
  if (candidate !== null) process.send?.({ candidate: candidate.toJSON() })
}
pc.createDataChannel('bench', { negotiated: true, id: 1 })
process.on('message', async (signal: Signal) => {
  if (signal.sdp !== undefined) {
    await pc.setRemoteDescription(signal.sdp)
    const answer = await pc.createAnswer()
    await pc.setLocalDescription(answer)
    process.send?.({ sdp: { type: 'answer', sdp: answer.sdp } })
  } else if (signal.candidate !== undefined) {
    await pc.addIceCandidate(signal.candidate)
  }
})
exitWithParent()
process.send?.({ ready: true })
