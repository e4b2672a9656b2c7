// Who is in the room: one entry per user, with "(you)", a tab count and a typing mark.
// Pure rendering of the members list the room's presence derives; a claim still being checked shows no name.
import { LitElement, css, html } from 'lit'
import { customElement, property } from 'lit/decorators.js'
import { repeat } from 'lit/directives/repeat.js'
import { shortFingerprint, type Member } from '../room/index.js'
import { safeStyle } from './safe-style.js'
import { lightTheme, sharedStyles } from './shared-styles.js'

/** Shown instead of a member's name, colour and fingerprint until their claim is checked. */
const PENDING_LABEL = 'Checking signature…'

/**
 * The members list.
 * @csspart list - the list of members
 * @cssprop --parley-muted - colour of the heading, "(you)", the tab count, the typing mark and unchecked members
 * @cssprop --parley-author-lightness - OKLCH lightness of each member's dot, as of author names (0–1)
 * @cssprop --parley-error - members whose presence is not signed by their key
 */
@customElement('parley-members')
export class ParleyMembers extends LitElement {
  static override styles = [
    sharedStyles,
    css`
    :host { display: block; }
    .heading { margin: 0 0 0.5rem; font-weight: 650; font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.05em;
      color: var(--parley-muted, ${lightTheme.muted}); }
    ul { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 0.35rem; }
    li { display: flex; align-items: center; gap: 0.4rem; }
    .dot { width: 0.6rem; height: 0.6rem; border-radius: 50%; flex: none; background: var(--member-color);
      background: oklch(from var(--member-color) var(--parley-author-lightness, ${lightTheme.authorLightness}) min(c, 0.14) h); }
    .tabs, .you { color: var(--parley-muted, ${lightTheme.muted}); font-size: 0.85em; white-space: nowrap; }
    .typing { font-size: 0.85em; color: var(--parley-muted, ${lightTheme.muted}); }
    .member { display: flex; flex-direction: column; min-width: 0; }
    .name { min-width: 0; overflow-wrap: anywhere; }
    .line { display: flex; align-items: center; gap: 0.4rem; }
    .fingerprint { font: 0.72em ui-monospace, monospace; color: var(--parley-muted, ${lightTheme.muted}); }
    .unverified { color: var(--parley-error, ${lightTheme.error}); font-style: italic; }
    .pending { color: var(--parley-muted, ${lightTheme.muted}); font-style: italic; }
    .dot.pending { background: none; box-sizing: border-box; border: 1px solid var(--parley-muted, ${lightTheme.muted}); }
  `,
  ]

  /** The members to show, in first-join order. */
  @property({ attribute: false }) members: readonly Member[] = []
  /** The heading's word: "Online", or what the chat knows instead ("Connecting", "Not connected"). */
  @property() heading = 'Online'
  /** Level of the "Online" heading: one below the chat's own heading. */
  @property({ attribute: 'heading-level', type: Number }) headingLevel = 3

  override render() {
    return html`
      <div class="heading" role="heading" aria-level=${this.headingLevel}>${this.heading} · ${this.members.length}</div>
      <ul part="list" aria-label="Members">
        ${repeat(
          this.members,
          // A user's entry and the entry of tabs that failed to prove they are that user share a key.
          (member) => (member.verdict === 'unverified' ? `unverified:${member.key}` : member.key),
          (member) => html`
          <li>
            ${
              member.verdict === 'pending'
                ? html`<span class="dot pending" aria-hidden="true"></span>`
                : html`<span class="dot" style=${safeStyle({ '--member-color': member.color })} aria-hidden="true"></span>`
            }
            <span class="member">
              <span class="line">
                ${
                  member.verdict === 'unverified'
                    ? html`<span class="name unverified" title="This user's presence is not signed by their key">⚠ ${member.name} (unverified)</span>`
                    : member.verdict === 'pending'
                      ? html`<span class="name pending" title="This user's signature is being checked">${PENDING_LABEL}</span>`
                      : html`<span class="name">${member.name}</span>`
                }
                ${member.isSelf ? html`<span class="you">(you)</span>` : ''}
                ${member.tabs > 1 ? html`<span class="tabs">${member.tabs} tabs</span>` : ''}
                ${member.typing ? html`<span class="typing" title="typing">✎<span class="visually-hidden"> typing</span></span>` : ''}
              </span>
              ${
                member.verdict !== 'verified'
                  ? '' // still being checked, or only claimed: the fingerprint would vouch for an impostor
                  : html`<span class="fingerprint" title="Key fingerprint: compare it with this person to be sure it is them">${shortFingerprint(member.key)}</span>`
              }
            </span>
          </li>`,
        )}
      </ul>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-members': ParleyMembers
  }
}
