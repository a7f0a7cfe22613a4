// Product images in a real browser: an admin uploads a JPEG carrying GPS metadata into a
// product (e2e/assets/watch-with-gps.jpg), saves it, and the lot's page shows the
// re-encoded WebP served from /media (cached for good, no metadata left); a file that
// is not an image, and a GIF, are refused with an announced error; axe checks the form.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findProductClass } from "./admin-helpers";
import { adminApi, adminCredentials, expect, expectAccessible, logInBrowser, newIdentity, test } from "./fixtures";

const JPEG = join(import.meta.dirname, "assets", "watch-with-gps.jpg");

test("an admin uploads a photo into a product; the lot page shows it re-encoded from /media", async ({ page }) => {
  test.setTimeout(120_000);
  const admin = await adminApi();
  const productName = `Photo watch ${newIdentity("img").username}`;
  await logInBrowser(page, adminCredentials());

  await page.goto("/admin/product-classes");
  await page.getByRole("button", { name: "Add a product class" }).click();
  await page.getByLabel("Name *").fill(productName);
  await page.getByLabel("Category *").fill("watch");
  await page.getByLabel("Retail value in dollars *").fill("900");

  // Not an image, though named .jpg: the server refuses it and says why.
  const upload = page.getByLabel("Upload images");
  await upload.setInputFiles({ name: "notes.jpg", mimeType: "image/jpeg", buffer: Buffer.from("just some notes\n") });
  await expect(page.getByRole("alert").filter({ hasText: "notes.jpg" })).toContainText("not a JPEG, PNG or WebP image");
  // A GIF is refused before it is sent.
  await upload.setInputFiles({ name: "anim.gif", mimeType: "image/gif", buffer: Buffer.from("GIF89a") });
  await expect(page.getByRole("alert")).toContainText("anim.gif: only JPEG, PNG or WebP images can be uploaded.");

  // The real photo: uploaded, shown as its card rendition.
  await upload.setInputFiles(JPEG);
  await expect(page.getByRole("status").filter({ hasText: "Uploaded 1 image." })).toBeVisible();
  await expect(page.getByRole("alert")).toHaveCount(0);
  const thumbnail = page.getByRole("img", { name: "Photo 1" });
  await expect(thumbnail).toHaveAttribute("src", /\/media\/images\/[0-9a-f-]{36}\/card\.webp$/);
  await expect.poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(480);
  await expect(page.getByLabel("Image 1 address")).toHaveValue(/\/media\/images\/[0-9a-f-]{36}\/page\.webp$/);
  await expectAccessible(page);

  await page.getByRole("button", { name: "Add product class" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Added “${productName}”` })).toBeVisible();
  const product = await findProductClass(admin, productName);
  expect(product.images).toHaveLength(1);
  const pageUrl: string = product.images[0];
  expect(pageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/media\/images\/[0-9a-f-]{36}\/page\.webp$/);

  // The stored rendition: WebP, cached for good, never sniffed, no EXIF or GPS left.
  const served = await page.request.get(pageUrl);
  expect(served.status()).toBe(200);
  expect(served.headers()["content-type"]).toBe("image/webp");
  expect(served.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
  expect(served.headers()["x-content-type-options"]).toBe("nosniff");
  const bytes = await served.body();
  expect(bytes.subarray(8, 12).toString("latin1")).toBe("WEBP");
  expect(bytes.includes(Buffer.from("Exif"))).toBe(false);
  expect(bytes.includes(Buffer.from("SpyCam"))).toBe(false);
  expect(readFileSync(JPEG).includes(Buffer.from("SpyCam"))).toBe(true); // the original had it

  // A lot on the product: its page shows the re-encoded photo.
  const lot = await admin.post("/api/lots", {
    data: {
      product_class_id: product.id,
      title: `Photo lot ${productName}`,
      lot_type: "known",
      visibility: "public",
      funding_target_cents: 1_000,
      entry_bundles: [{ price_cents: 200, tickets: 1 }],
      non_winner_credit_rate_percent: 10,
      trivia_question: "What colour is a clear daytime sky?",
      trivia_answer: "blue",
      deadline: new Date(Date.now() + 72 * 3600_000).toISOString(),
      draw_algorithm: "alot-v1",
    },
  });
  expect(lot.ok(), await lot.text()).toBeTruthy();
  const lotId = (await lot.json()).id;
  const opened = await admin.post(`/api/admin/lots/${lotId}/open`);
  expect(opened.ok(), await opened.text()).toBeTruthy();

  await page.goto(`/lots/${lotId}`);
  const prize = page.getByRole("img", { name: /The prize/ }).first();
  await expect(prize).toHaveAttribute("src", pageUrl);
  await expect.poll(() => prize.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(640);
  await expectAccessible(page);
});
