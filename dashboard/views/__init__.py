"""Every page and modal of the dashboard, by page family."""
