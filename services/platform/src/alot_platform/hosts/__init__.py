"""The marketplace: hosts (sellers who list their own lots), their review, their lots'
economics (commission, held share, payouts)."""
