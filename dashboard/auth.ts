import { byTestId } from "./elements.ts";

const STORAGE_KEY = "footfall.token";

/**
 * The token from `/#token=...`, kept for this tab and taken out of the address bar (so it is not
 * bookmarked, shared or left in history), or the one kept earlier.
 */
export function initialToken(): string | undefined {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromFragment = fragment.get("token")?.trim();
  if (fragment.has("token")) {
    history.replaceState(history.state, "", location.pathname + location.search);
  }
  if (fromFragment) {
    rememberToken(fromFragment);
    return fromFragment;
  }
  return storedToken();
}

export function rememberToken(token: string): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Storage can be refused (private modes); the token then lasts until the page closes.
  }
}

export function forgetToken(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // As above.
  }
}

function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The panel that asks for the token, with a message saying why. */
export class TokenForm {
  private readonly panel = byTestId("token-panel");
  private readonly message = byTestId("token-message");
  private readonly input = byTestId<HTMLInputElement>("token-input");

  constructor(onToken: (token: string) => void) {
    byTestId<HTMLFormElement>("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = this.input.value.trim();
      if (token === "") return;
      this.input.value = "";
      rememberToken(token);
      onToken(token);
    });
  }

  show(message: string): void {
    this.message.textContent = message;
    this.panel.hidden = false;
    this.input.focus();
  }

  hide(): void {
    this.panel.hidden = true;
  }
}
