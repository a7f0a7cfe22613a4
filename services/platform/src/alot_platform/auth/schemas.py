"""Request and response bodies for /api/auth."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from alot_platform.auth.passwords import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from alot_platform.fulfillment.schemas import COUNTRY_CODES, Country
from alot_platform.users.schemas import FullName, Username

NewPassword = Annotated[
    str,
    Field(
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        description=f"{PASSWORD_MIN_LENGTH}-{PASSWORD_MAX_LENGTH} characters, not a common one",
    ),
]
AnyPassword = Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
Transport = Literal["bearer", "cookie"]


# The codes themselves, not just their shape: a schema-valid code is a real one.
DeclaredCountry = Annotated[Country, Field(json_schema_extra={"enum": sorted(COUNTRY_CODES)})]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(_Strict):
    email: EmailStr = Field(max_length=254)
    username: Username
    password: NewPassword
    date_of_birth: date = Field(description="players must be 18 or older")
    full_name: FullName | None = None
    country: DeclaredCountry | None = Field(
        default=None,
        description="ISO 3166-1 alpha-2 country of residence; required when the platform"
        " has an allow-list (GET /api/terms: country_required). Registering accepts the"
        " current terms and privacy notice (GET /api/terms)",
    )


class Accepted(BaseModel):
    """The request was taken; what happens next arrives by email (if it applies)."""

    status: Literal["accepted"] = "accepted"
    detail: str


class LoginRequest(_Strict):
    email: EmailStr = Field(max_length=254)
    password: AnyPassword
    transport: Transport = Field(
        default="bearer",
        description="bearer: tokens in the body (API clients); cookie: HttpOnly cookies and "
        "a CSRF token (browsers)",
    )


class RefreshRequest(_Strict):
    refresh_token: Token | None = Field(
        default=None, description="API clients; browsers send the refresh cookie instead"
    )


class SessionTokens(BaseModel):
    """A login's tokens. For `cookie` transport the tokens are only in HttpOnly cookies."""

    token_type: Transport
    access_token: str | None = None
    refresh_token: str | None = None
    expires_in: int = Field(description="seconds until the access token expires")
    refresh_expires_in: int = Field(description="seconds until the refresh token expires")
    csrf_token: str | None = Field(
        default=None, description="cookie transport: send as X-CSRF-Token on unsafe requests"
    )


class VerifyEmailRequest(_Strict):
    token: Token


class ResendVerificationRequest(_Strict):
    email: EmailStr | None = Field(
        default=None,
        max_length=254,
        description="anonymous callers: the address to send a new link to (the same answer "
        "whether or not it has an account waiting for confirmation)",
    )


class PasswordResetRequest(_Strict):
    email: EmailStr = Field(max_length=254)


class PasswordResetConfirm(_Strict):
    token: Token
    new_password: NewPassword


class PasswordChange(_Strict):
    current_password: AnyPassword
    new_password: NewPassword
