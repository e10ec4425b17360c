"""Planning a run: listing the selected assets and queueing them as work jobs."""
