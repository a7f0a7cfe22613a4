import { useState, type KeyboardEvent } from "react";
import { cardUrl } from "../lib/media";
import type { Lot } from "./api";
import { PrizeImage } from "./LotCard";

/** The product's pictures: one large, thumbnails as buttons; Left/Right arrows (or
 * Home/End) move between them when the gallery has focus. */
export function Gallery({ lot }: { lot: Lot }) {
  const images = lot.product?.images ?? [];
  const [index, setIndex] = useState(0);
  const current = Math.min(index, Math.max(0, images.length - 1));
  if (images.length <= 1) return <PrizeImage lot={lot} className="gallery-main" />;

  const name = [lot.product?.brand, lot.product?.name].filter(Boolean).join(" ") || lot.title;
  function go(next: number) {
    setIndex((next + images.length) % images.length);
  }
  function onKey(event: KeyboardEvent) {
    const moves: Record<string, number> = { ArrowLeft: current - 1, ArrowRight: current + 1, Home: 0, End: images.length - 1 };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    go(target);
    const buttons = event.currentTarget.querySelectorAll<HTMLButtonElement>(".gallery-thumbs button");
    buttons[(target + images.length) % images.length]?.focus();
  }
  return (
    <div role="group" aria-roledescription="gallery" aria-label={`Pictures of ${name}`} onKeyDown={onKey}>
      <img className="gallery-main" src={images[current]} alt={`${name}, picture ${current + 1} of ${images.length}`} />
      <div className="row" style={{ justifyContent: "space-between", marginTop: "0.5rem" }}>
        <button type="button" className="secondary small" onClick={() => go(current - 1)}>
          Previous picture
        </button>
        <span aria-live="polite">
          {current + 1} / {images.length}
        </span>
        <button type="button" className="secondary small" onClick={() => go(current + 1)}>
          Next picture
        </button>
      </div>
      <ul className="gallery-thumbs">
        {images.map((src, i) => (
          <li key={src + i}>
            <button type="button" aria-pressed={i === current} aria-label={`Show picture ${i + 1} of ${images.length}`} onClick={() => go(i)}>
              <img src={cardUrl(src)} alt="" loading="lazy" />
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
