"""The email outbox: messages written in the transaction that decided them, sent after."""
