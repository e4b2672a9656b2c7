// The elements' public surface: importing it registers <parley-chat> and the elements it is
// made of. The entries (main.ts, lib.ts) import components only through here.
export { ParleyChat, type ChatTheme } from './parley-chat.js'
export type { DraftDetail, NameDetail, SendDetail } from './events.js'
