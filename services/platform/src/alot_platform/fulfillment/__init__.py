"""Prize fulfillment: a winner's claim (with a shipping address), the shipment, the
delivery, disputes and the deadlines of each (docs/platform/fulfillment.md)."""
