// Upload product images to POST /api/images (admins and approved hosts) and keep the
// list of their URLs: each upload adds its page rendition's URL (what a product's
// `images` holds); thumbnails show the card rendition. Type and size are checked here
// first (the server checks again, and decides); every error is announced.
import { useId, useRef, useState, type ChangeEvent } from "react";
import { api, unwrap } from "../api/client";
import { errorMessage } from "../api/problem";
import type { components } from "../api/schema";
import { cardUrl } from "../lib/media";
import "./ImageUpload.css";

export type UploadedImage = components["schemas"]["ImageRead"];

export const ACCEPTED_TYPES = ["image/jpeg", "image/png", "image/webp"];
/** The server's default ALOT_IMAGE_MAX_BYTES; a larger limit there is still refused here. */
export const MAX_BYTES = 10 * 1024 * 1024;
const MAX_IMAGES = 20;

export async function uploadImage(file: File): Promise<UploadedImage> {
  const form = new FormData();
  form.append("file", file, file.name);
  // openapi-fetch sends a FormData body as is (the browser sets the multipart boundary);
  // the session cookie and the CSRF header go with it as with every write.
  return unwrap(await api.POST("/api/images", { body: form as never }));
}

function checkFile(file: File): string | null {
  if (!ACCEPTED_TYPES.includes(file.type)) {
    return `${file.name}: only JPEG, PNG or WebP images can be uploaded.`;
  }
  if (file.size > MAX_BYTES) return `${file.name}: the file is over 10 MB.`;
  return null;
}

type Props = { value: string[]; onChange: (urls: string[]) => void; label?: string };

export function ImageUpload({ value, onChange, label = "Images" }: Props) {
  const id = useId();
  const [uploading, setUploading] = useState(0);
  const [errors, setErrors] = useState<string[]>([]);
  const [status, setStatus] = useState("");
  const current = useRef(value);
  current.current = value;

  async function pick(event: ChangeEvent<HTMLInputElement>) {
    const files = Array.from(event.target.files ?? []);
    event.target.value = ""; // the same file may be picked again
    if (files.length === 0) return;
    const problems: string[] = [];
    const room = MAX_IMAGES - current.current.length;
    const wanted = files.slice(0, Math.max(0, room));
    if (files.length > wanted.length) problems.push(`At most ${MAX_IMAGES} images: the rest were not uploaded.`);
    const valid = wanted.filter((file) => {
      const problem = checkFile(file);
      if (problem) problems.push(problem);
      return !problem;
    });
    setErrors(problems);
    if (valid.length === 0) {
      setStatus("");
      return;
    }
    setUploading((n) => n + valid.length);
    setStatus(`Uploading ${valid.length === 1 ? "1 image" : `${valid.length} images`}…`);
    let added = 0;
    for (const file of valid) {
      try {
        const image = await uploadImage(file);
        current.current = [...current.current, image.renditions.page.url];
        onChange(current.current);
        added += 1;
      } catch (error) {
        problems.push(`${file.name}: ${errorMessage(error)}`);
        setErrors([...problems]);
      } finally {
        setUploading((n) => n - 1);
      }
    }
    setStatus(added > 0 ? `Uploaded ${added === 1 ? "1 image" : `${added} images`}.` : "");
  }

  function remove(index: number) {
    onChange(value.filter((_, i) => i !== index));
    setStatus(`Removed photo ${index + 1}.`);
  }

  function move(index: number, by: number) {
    const target = index + by;
    if (target < 0 || target >= value.length) return;
    const next = [...value];
    [next[index], next[target]] = [next[target] as string, next[index] as string];
    onChange(next);
    setStatus(`Moved photo ${index + 1} to position ${target + 1}.`);
  }

  return (
    <fieldset className="image-upload" aria-describedby={`${id}-hint`}>
      <legend>{label}</legend>
      <p id={`${id}-hint`} className="hint">
        JPEG, PNG or WebP, up to 10 MB each. Photos are re-encoded and their metadata (camera, GPS position) removed.
      </p>
      {value.length === 0 ? (
        <p className="hint">No images yet.</p>
      ) : (
        <ol className="image-upload-list">
          {value.map((url, index) => (
            <li key={`${url}-${index}`}>
              <img src={cardUrl(url)} alt={`Photo ${index + 1}`} loading="lazy" />
              <div className="row">
                <button type="button" className="secondary small" onClick={() => move(index, -1)} disabled={index === 0} aria-label={`Move photo ${index + 1} earlier`}>
                  ←
                </button>
                <button type="button" className="secondary small" onClick={() => move(index, 1)} disabled={index === value.length - 1} aria-label={`Move photo ${index + 1} later`}>
                  →
                </button>
                <button type="button" className="secondary small" onClick={() => remove(index)} aria-label={`Remove photo ${index + 1}`}>
                  Remove
                </button>
              </div>
            </li>
          ))}
        </ol>
      )}
      <div className="field">
        <label htmlFor={`${id}-file`}>Upload images</label>
        <input
          id={`${id}-file`}
          type="file"
          accept={ACCEPTED_TYPES.join(",")}
          multiple
          onChange={pick}
          disabled={uploading > 0 || value.length >= MAX_IMAGES}
          aria-describedby={`${id}-hint`}
        />
      </div>
      <p role="status" className="hint">
        {status}
      </p>
      {errors.length > 0 && (
        <div role="alert" className="alert error">
          {errors.map((error) => (
            <p key={error}>{error}</p>
          ))}
        </div>
      )}
    </fieldset>
  );
}
