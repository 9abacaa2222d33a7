"""monitoring domain: the live dashboard, alerts, operator actions, /metrics, sub-centres."""
