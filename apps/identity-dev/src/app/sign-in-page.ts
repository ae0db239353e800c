/** HTML-escapes text for an attribute or element. */
const escape = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** The sign-in form of `/authorize`: a name, and the redirect and state carried through. */
export function signInPage(redirectUri: string, state: string, error?: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in (development)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<main>
<h1>Sign in</h1>
<p>Development identity provider: any name signs in, and the same name is the same customer.</p>
${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/authorize">
<input type="hidden" name="redirect_uri" value="${escape(redirectUri)}">
<input type="hidden" name="state" value="${escape(state)}">
<label>Name <input name="name" autocomplete="username" required maxlength="200" autofocus></label>
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
`;
}
