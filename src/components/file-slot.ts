// Where the log puts a message's file: a <parley-file> element, whose code (and the transfer code
// behind it) loads only when the log first shows a file, so pages without files never fetch it.
import { html } from 'lit'
import type { FileMeta } from '../room/index.js'
import type { FileFetcher } from './parley-file.js'

/** Whether the element's module was asked for (again after a failed load, such as offline). */
let loading = false

/** The file a message carries, drawn by <parley-file> (defined once its module has loaded). */
export function renderFile(file: FileMeta, fetchFile: FileFetcher | null) {
  if (!loading) {
    loading = true
    import('./parley-file.js').catch(() => {
      loading = false
    })
  }
  return html`<parley-file .file=${file} .fetchFile=${fetchFile}></parley-file>`
}
