// The identity layer's public surface: who this profile is (user id, name, colour), its
// signing keys, and the signed bytes peers verify. Imports only from address.
export { colorFor, type CssColor } from './color.js'
export {
  MAX_NAME_CHARS,
  cleanName,
  loadIdentity,
  saveName,
  type Identity,
  type KeyValueStore,
} from './identity.js'
export { loadSigner } from './key-store.js'
export {
  MAX_SIGNATURE_FIELD_CHARS,
  canSign,
  fromBase64url,
  generateSigningKeys,
  messageBytes,
  presenceBytes,
  refutesBytes,
  shortFingerprint,
  signerFor,
  userIdOf,
  verifySigned,
  type SignedBytes,
  type SignedPresenceFields,
  type Signer,
} from './signing.js'
export { CHECKS_PER_TASK, inChecksTask } from './check-turns.js'
export { annotationBytes, type SignedAnnotationFields } from './annotation-signing.js'
