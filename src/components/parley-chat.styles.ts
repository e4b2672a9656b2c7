// The look of <parley-chat>: its light and dark themes, how the page's --parley-* values
// override them, and the layout of the header, log, composer and members panel.
import { type CSSResult, css, unsafeCSS } from 'lit'
import { darkTheme as dark, lightTheme as light, sharedStyles, type Theme } from './shared-styles.js'

/** A rule giving `selector` a theme's values as the chat's defaults (`--_d-*`), which the page's `--parley-*` override. */
function themeRule(selector: CSSResult, scheme: 'light' | 'dark', theme: Theme): CSSResult {
  return css`
    ${selector} {
      color-scheme: ${unsafeCSS(scheme)};
      --_d-background: ${theme.background}; --_d-surface: ${theme.surface}; --_d-text: ${theme.text};
      --_d-muted: ${theme.muted}; --_d-border-color: ${theme.borderColor};
      --_d-input-background: ${theme.inputBackground}; --_d-input-border: ${theme.inputBorder};
      --_d-accent: ${theme.accent}; --_d-on-accent: ${theme.onAccent}; --_d-focus: ${theme.focus};
      --_d-error: ${theme.error}; --_d-author-lightness: ${theme.authorLightness};
    }
  `
}

/** `rule`, applied only where the system prefers a dark colour scheme. */
function whenDarkIsPreferred(rule: CSSResult): CSSResult {
  // Built from the rule's text: lit-analyzer cannot read a rule interpolated inside @media.
  return unsafeCSS(`@media (prefers-color-scheme: dark) { ${rule.cssText} }`)
}

/** Styles of <parley-chat>'s shadow root. */
export const chatStyles = [
  sharedStyles,
  // Theme defaults, overridden by --parley-* set by the page.
  themeRule(css`.chat`, 'light', light),
  themeRule(css`.chat.dark`, 'dark', dark),
  whenDarkIsPreferred(themeRule(css`.chat.auto`, 'dark', dark)),
  css`
  :host { display: block; }
  /* The page's value if set, else the theme's. */
  .chat {
    --_background: var(--parley-background, var(--_d-background));
    --_surface: var(--parley-surface, var(--_d-surface));
    --_text: var(--parley-text, var(--_d-text));
    --_muted: var(--parley-muted, var(--_d-muted));
    --_border-color: var(--parley-border-color, var(--_d-border-color));
    --_input-background: var(--parley-input-background, var(--_d-input-background));
    --_input-border: var(--parley-input-border, var(--_d-input-border));
    --_accent: var(--parley-accent, var(--_d-accent));
    --_on-accent: var(--parley-on-accent, var(--_d-on-accent));
    --_focus: var(--parley-focus, var(--_d-focus));
    --_error: var(--parley-error, var(--_d-error));
    --_author-lightness: var(--parley-author-lightness, var(--_d-author-lightness));
  }
  /* Handed down under the public names, so the inner elements follow the theme too. */
  .chat > * {
    --parley-background: var(--_background); --parley-surface: var(--_surface);
    --parley-text: var(--_text); --parley-muted: var(--_muted);
    --parley-border-color: var(--_border-color); --parley-input-background: var(--_input-background);
    --parley-input-border: var(--_input-border); --parley-accent: var(--_accent);
    --parley-on-accent: var(--_on-accent); --parley-focus: var(--_focus); --parley-error: var(--_error);
    --parley-author-lightness: var(--_author-lightness);
  }
  .chat {
    /* Inherited text styles of the page stop here. */
    all: initial;
    display: flex; flex-direction: column; box-sizing: border-box;
    height: 100%; min-height: 18rem; max-height: var(--parley-max-height, 100dvh);
    container-type: inline-size;
    background: var(--_background); color: var(--_text);
    font-family: var(--parley-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    font-size: var(--parley-font-size, 1rem); line-height: 1.45; text-align: start;
  }
  header { display: flex; flex-wrap: wrap; align-items: baseline; column-gap: 1rem; row-gap: 0.25rem;
    padding: 0.6rem 1rem; background: var(--_surface); border-bottom: 1px solid var(--_border-color); }
  .title { margin: 0; font-size: 1.15rem; font-weight: 650; overflow-wrap: anywhere; }
  parley-invite { flex: 1 1 14rem; min-width: 0; }
  .who { margin-left: auto; min-width: 0; display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.25rem 0.75rem;
    font-size: 0.9rem; color: var(--_muted); }
  /* Names may be one long word (a peer picks theirs): they wrap rather than push the page sideways. */
  .who > span, .replying > span { min-width: 0; overflow-wrap: anywhere; }
  .who strong { color: var(--_text); }
  .link { font: inherit; background: none; border: 0; color: var(--_accent); cursor: pointer;
    text-decoration: underline; text-underline-offset: 0.15em; padding: 0; }
  :focus-visible { border-radius: 2px; }
  .body { flex: 1; min-height: 0; display: flex; }
  .body[hidden] { display: none; }
  /* min-height: 0 lets the log shrink to the space left: without it, a long history makes
     the conversation as tall as its content, and on narrow screens it covers the header. */
  .conversation { flex: 1; min-width: 0; min-height: 0; display: flex; flex-direction: column; }
  parley-message-list { flex: 1; }
  parley-members { width: 13rem; flex: none; padding: 0.75rem 1rem; overflow-y: auto;
    background: var(--_surface); border-left: 1px solid var(--_border-color); }
  .note { flex-basis: 100%; margin: 0; font-size: 0.85rem; color: var(--_muted); }
  .note.failing { color: var(--_error); }
  .problem { margin: 0; padding: 1rem; color: var(--_error); }
  .typing { min-height: 1.3em; margin: 0; padding: 0 1rem; font-size: 0.85rem; color: var(--_muted); overflow-wrap: anywhere; }
  .replying { display: flex; gap: 0.5rem; align-items: baseline; margin: 0; padding: 0 1rem 0.25rem; font-size: 0.85rem; color: var(--_muted); }
  parley-composer { padding: 0.4rem 1rem 0.8rem; }
  @container (max-width: 600px) {
    .body { flex-direction: column-reverse; }
    parley-members { width: auto; max-height: 5.5rem; padding: 0.5rem 1rem; border-left: 0;
      border-top: 1px solid var(--_border-color); }
    parley-members::part(list) { flex-direction: row; flex-wrap: wrap; column-gap: 1.25rem; }
  }
`,
]
