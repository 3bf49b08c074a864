"""gating layer: what a CI gate compares a report with: expectations, waivers, a baseline."""
