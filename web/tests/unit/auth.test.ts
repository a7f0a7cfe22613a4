import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/api/problem";
import { fieldError, hasFieldErrors } from "../../src/auth/forms";
import { safeNext } from "../../src/auth/safeNext";
import { formatWait } from "../../src/auth/useCountdown";

describe("safeNext: only paths on this site", () => {
  it.each([
    ["/me/entries", "/me/entries"],
    ["/lots/abc?tab=odds#buy", "/lots/abc?tab=odds#buy"],
    ["/account", "/account"],
  ])("keeps %s", (raw, expected) => {
    expect(safeNext(raw)).toBe(expected);
  });

  it.each([
    null,
    "",
    "//evil.example",
    "//evil.example/path",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "https://evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "lots/abc",
    "/login",
    "/login?next=/account",
  ])("sends %j home", (raw) => {
    expect(safeNext(raw)).toBe("/");
  });
});

describe("fieldError: the API's answer beside the field it is about", () => {
  const validation = new ApiError(422, {
    code: "validation_error",
    detail: "the request has invalid fields: email",
    errors: [{ loc: ["body", "email"], message: "value is not a valid email address", type: "value_error" }],
  });

  it("names a field from the validation error's loc", () => {
    expect(fieldError(validation, "email")).toBe("Value is not a valid email address.");
    expect(fieldError(validation, "password")).toBeUndefined();
    expect(hasFieldErrors(validation)).toBe(true);
  });

  it("puts a weak password's reason beside the password fields", () => {
    const weak = new ApiError(422, {
      code: "weak_password",
      detail: "this password is among the most commonly used; choose another",
    });
    expect(fieldError(weak, "password")).toBe("This password is among the most commonly used; choose another.");
    expect(fieldError(weak, "new_password")).toBe(
      "This password is among the most commonly used; choose another.",
    );
    expect(fieldError(weak, "email")).toBeUndefined();
  });

  it("puts an age under 18 beside the date of birth, in our words", () => {
    const underage = new ApiError(422, { code: "underage", detail: "players must be at least 18 years old" });
    expect(fieldError(underage, "date_of_birth")).toBe("You must be at least 18 to play.");
  });

  it("leaves problems about no field to the form's summary", () => {
    const wrong = new ApiError(401, { code: "invalid_credentials", detail: "invalid email or password" });
    expect(fieldError(wrong, "email")).toBeUndefined();
    expect(hasFieldErrors(wrong)).toBe(false);
    expect(fieldError(new Error("boom"), "email")).toBeUndefined();
  });
});

describe("formatWait", () => {
  it("says a wait in words", () => {
    expect(formatWait(1)).toBe("1 second");
    expect(formatWait(45)).toBe("45 seconds");
    expect(formatWait(60)).toBe("1 minute");
    expect(formatWait(125)).toBe("2 minutes 5 seconds");
    expect(formatWait(0.2)).toBe("1 second");
  });
});
