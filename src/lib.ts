// The library build's entry (dist/lib/parley-chat.js): importing it registers <parley-chat>
// and the elements it is made of. Embedders need nothing else; see README "Embedding".
export { ParleyChat, type DraftDetail, type NameDetail, type SendDetail } from './components/index.js'
export type { MessageRecord } from './room/index.js'
