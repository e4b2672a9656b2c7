// Build-time settings Parley reads from the environment (see vite.config.ts envPrefix).
/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Signaling server for the built site, e.g. wss://signal.example.org. */
  readonly PARLEY_SIGNALING_URL?: string
  /** ICE servers as JSON, e.g. [{"urls":"stun:stun.example.org:3478"}]. */
  readonly PARLEY_ICE_SERVERS?: string
}

interface ImportMeta {
  readonly env: ImportMetaEnv
}
