"""reports domain: day, month, quarter and year reports, exports, assessment sheets."""
