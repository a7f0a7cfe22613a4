"""Request bodies for the data rights endpoints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from alot_platform.auth.schemas import AnyPassword


class AccountDeletion(BaseModel):
    """Deleting an account: the password again, and the word DELETE typed out."""

    model_config = ConfigDict(extra="forbid")

    password: AnyPassword
    confirm: Literal["DELETE"] = Field(
        description="DELETE: you understand your personal data is erased, your credits are"
        " forfeited, and your purchase and ledger records stay under your account's id"
    )


class WithheldColumn(BaseModel):
    table: str
    column: str
    reason: str


class DataExport(BaseModel):
    """Everything the platform holds about the signed-in player (format
    ``alot-data-export/1``): the account, then every table that names them, row by row."""

    format: str
    exported_at: str
    user_id: str
    account: dict[str, Any] = Field(description="the account, full name and birth date decrypted")
    tables: dict[str, list[dict[str, Any]]] = Field(
        description="table name -> your rows (every table with a reference to your account,"
        " and the rows one step from those you own)"
    )
    withheld: list[WithheldColumn] = Field(description="columns left out, and why")
    not_included: dict[str, str] = Field(description="what is held elsewhere, and how to read it")
