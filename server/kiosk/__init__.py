"""kiosk domain: what the ticket kiosk shows, and issuing with a printed ticket."""
