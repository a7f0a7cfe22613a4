// The rules the API enforces on a new password (docs/platform/auth.md, "Passwords"),
// in a player's words. The API is the judge: a password it refuses comes back as
// `weak_password` with the rule it broke, shown beside the field.
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
export const PASSWORD_RULES =
  `${PASSWORD_MIN} to ${PASSWORD_MAX} characters, with at least 3 different characters. ` +
  "Not a commonly used password, and not your email address or username.";
