// Uploaded product images (docs/platform/images.md): a product's `images` holds each
// upload's page rendition (…/images/<id>/page.webp); its card rendition is the same URL
// ending in /card.webp. Any other URL (an external https address) is used as it is.
const PAGE = /\/images\/([0-9a-f-]{36})\/page\.webp$/;

/** The small (480 px) rendition of an uploaded image; any other URL unchanged. */
export function cardUrl(url: string): string {
  return url.replace(PAGE, "/images/$1/card.webp");
}

/** Is `url` an image this platform stored (served from its own /media/)? */
export function isOwnMedia(url: string): boolean {
  if (typeof window === "undefined") return false;
  return url.startsWith(`${window.location.origin}/media/`);
}
