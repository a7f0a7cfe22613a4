import { describe, expect, it } from "vitest";
import { cardUrl, isOwnMedia } from "../../src/lib/media";

const ID = "0b5e8a7c-4d1e-4c7a-9f00-1234567890ab";

describe("cardUrl", () => {
  it("derives an upload's card rendition from its page rendition", () => {
    expect(cardUrl(`https://alot.example/media/images/${ID}/page.webp`)).toBe(
      `https://alot.example/media/images/${ID}/card.webp`,
    );
    expect(cardUrl(`https://cdn.example/images/${ID}/page.webp`)).toBe(`https://cdn.example/images/${ID}/card.webp`);
  });

  it("leaves any other address as it is", () => {
    for (const url of [
      "https://img.example.com/diver.jpg",
      "https://img.example.com/images/not-an-id/page.webp",
      `https://alot.example/media/images/${ID}/page.webp?x=1`,
    ]) {
      expect(cardUrl(url)).toBe(url);
    }
  });
});

describe("isOwnMedia", () => {
  it("is false outside a browser", () => {
    expect(isOwnMedia("http://127.0.0.1:8000/media/images/x/page.webp")).toBe(false);
  });
});
