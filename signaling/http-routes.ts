// Plain HTTP endpoints of the signaling server: /healthz, /metrics and a one-line banner.
// WebSocket upgrades never reach this handler; server.ts routes them to `ws`.

import type { IncomingMessage, ServerResponse } from 'node:http'

/** The banner served at `/`, so a human opening the URL sees what this is. */
export const BANNER_TEXT = 'Parley signaling server\n'

/** A rendered metrics page. */
export interface MetricsPage {
  readonly contentType: string
  readonly body: string
}

/** What the routes need from the server. */
export interface HttpRouteContext {
  /** Fields of the /healthz body besides `ok: true`. */
  health(): Readonly<Record<string, unknown>>
  /** Renders /metrics. */
  metrics(): Promise<MetricsPage>
  /** Called when rendering a page fails, for logging. */
  onError(error: unknown): void
}

function sendText(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' })
  res.end(body)
}

/** The path of a request target, or undefined when the target is not a parseable URL. */
export function requestPath(target: string | undefined): string | undefined {
  try {
    // Only the path matters; the base is a placeholder the URL parser requires.
    return new URL(target ?? '/', 'http://localhost').pathname
  } catch {
    return undefined // an unparseable target falls through to 404
  }
}

/** Creates the `request` listener for the HTTP server. */
export function createRequestHandler(context: HttpRouteContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD')
      sendText(res, 405, 'Method not allowed\n')
      return
    }
    const path = requestPath(req.url)
    switch (path) {
      case '/':
        sendText(res, 200, BANNER_TEXT)
        return
      case '/healthz':
        sendText(res, 200, JSON.stringify({ ok: true, ...context.health() }) + '\n', 'application/json')
        return
      case '/metrics':
        context.metrics().then(
          (page) => sendText(res, 200, page.body, page.contentType),
          (error: unknown) => {
            context.onError(error)
            sendText(res, 500, 'Metrics unavailable\n')
          },
        )
        return
      default:
        sendText(res, 404, 'Not found. ' + BANNER_TEXT)
    }
  }
}
