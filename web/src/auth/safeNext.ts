// Where to go after logging in: only a path on this site. `?next=` comes from the
// address bar, which anyone can write in a link they send a player, so a value that
// would leave the site ("//evil.example", "https://evil.example", "/\evil.example",
// "javascript:...") is replaced by the home page.
const HOME = "/";
// Browsers drop tabs and newlines from URLs and read "\" as "/": "/\t/evil.example"
// and "/\evil.example" both lead off-site.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f\\]/;

export function safeNext(raw: string | null | undefined): string {
  if (!raw || !raw.startsWith("/") || raw.startsWith("//") || UNSAFE.test(raw)) return HOME;
  const base = "https://alot.invalid";
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return HOME;
  }
  if (url.origin !== base) return HOME;
  const path = url.pathname + url.search + url.hash;
  // Back to the login page would only ask again.
  return path.startsWith("/login") ? HOME : path;
}
