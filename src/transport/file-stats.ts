// What a tab's file transfers counted, for diagnostics (`Room.stats().files`): apart from
// file-transfer.ts, so that the transport has its zero counters before that code has loaded.

/** What the file transfers counted since they were loaded, and what is under way now. */
export interface FileTransferStats {
  /** Fetches under way now: this page downloading a file. */
  fetching: number
  /** Requests of peers this page has open now: peers downloading a file from it. */
  serving: number
  /** Chunks and list parts sent to peers. */
  sentFrames: number
  /** Bytes of the chunks and list parts sent to peers, in bytes. */
  servedBytes: number
  /** Chunks received and verified. */
  verifiedChunks: number
  /** Chunks or lists refused because their hash did not match (the link that sent one is dropped). */
  rejectedChunks: number
  /** Frames that failed to parse, or that this page had not asked for. */
  garbageFrames: number
  /** Requests and gets refused over the per-link limits. */
  refusedRequests: number
}

/** File transfer counters, all zero: nothing fetched or served, or the transfer code not loaded yet. */
export function noFileTransfers(): FileTransferStats {
  return {
    fetching: 0,
    serving: 0,
    sentFrames: 0,
    servedBytes: 0,
    verifiedChunks: 0,
    rejectedChunks: 0,
    garbageFrames: 0,
    refusedRequests: 0,
  }
}
